/* test_doctor_ports.c - doctor's port holders: /proc/net/tcp{,6} parsing and socket inodes to pid and comm, on a fake /proc */
/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "doctor.h"

#define HDR4 "  sl  local_address rem_address   st tx_queue rx_queue tr " \
	"tm->when retrnsmt   uid  timeout inode\n"
#define HDR6 "  sl  local_address                         remote_address" \
	"                        st tx_queue rx_queue tr tm->when retrnsmt   uid" \
	"  timeout inode\n"
/* 0x2163 = 8547 listening, one connection on it, 0x0050 = 80 listening. */
#define TCP4 HDR4 \
	"   0: 0100007F:2163 00000000:0000 0A 00000000:00000000 00:00000000 " \
	"00000000     0        0 4430205 1 0000000016962fee 100 0 0 10 0\n" \
	"   1: 0100007F:2163 0100007F:C350 01 00000000:00000000 00:00000000 " \
	"00000000     0        0 4430300 1 0000000016962fee 20 4 30 10 -1\n" \
	"   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 " \
	"00000000    33        0 777 1 0000000016962fee 100 0 0 10 0\n"
#define TCP6 HDR6 \
	"   0: 00000000000000000000000001000000:2163 " \
	"00000000000000000000000000000000:0000 0A 00000000:00000000 " \
	"00:00000000 00000000     0        0 4430206 1 0000000000000000 100 0 0 10 0\n"

static void
test_doctor_ports_listen_line_gives_its_inode(void **state)
{
	unsigned long	 in[4];

	(void)state;
	assert_int_equal(doctor_proc_listeners(TCP4, 8547, in, 4), 1);
	assert_int_equal(in[0], 4430205);
	assert_int_equal(doctor_proc_listeners(TCP4, 80, in, 4), 1);
	assert_int_equal(in[0], 777);
}

static void
test_doctor_ports_established_is_not_listening(void **state)
{
	unsigned long	 in[4];
	const char	*t = HDR4
	    "   0: 0100007F:2163 0100007F:C350 01 00000000:00000000 00:00000000 "
	    "00000000     0        0 4430300 1 0000000016962fee 20 4 30 10 -1\n";

	(void)state;
	assert_int_equal(doctor_proc_listeners(t, 8547, in, 4), 0);
	assert_int_equal(doctor_proc_listeners(TCP4, 8548, in, 4), 0);
}

static void
test_doctor_ports_tcp6_table_parsed(void **state)
{
	unsigned long	 in[4];

	(void)state;
	assert_int_equal(doctor_proc_listeners(TCP6, 8547, in, 4), 1);
	assert_int_equal(in[0], 4430206);
	assert_int_equal(doctor_proc_listeners(HDR6, 8547, in, 4), 0);
}

static void
test_doctor_ports_malformed_table_refused(void **state)
{
	unsigned long	 in[4];

	(void)state;
	assert_int_equal(doctor_proc_listeners("garbage\n", 80, in, 4), -1);
	assert_int_equal(doctor_proc_listeners(HDR4 "   0: zz\n", 80, in, 4),
	    -1);
}

/* ---- a fake /proc ---- */

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char	 path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	char	*dir = malloc(PATH_MAX), path[PATH_MAX];

	snprintf(dir, PATH_MAX, "%s/doctor-proc.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/net", dir);
	mkdir(path, 0700);
	put(dir, "net/tcp", TCP4);
	put(dir, "net/tcp6", TCP6);
	/* pid 4242 (python3) holds the 8547 socket as fd 3; 17 holds none. */
	snprintf(path, sizeof(path), "%s/4242", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/4242/fd", dir);
	mkdir(path, 0700);
	put(dir, "4242/comm", "python3\n");
	snprintf(path, sizeof(path), "%s/4242/fd/0", dir);
	symlink("/dev/null", path);
	snprintf(path, sizeof(path), "%s/4242/fd/3", dir);
	symlink("socket:[4430205]", path);
	snprintf(path, sizeof(path), "%s/17", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/17/fd", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/17/fd/5", dir);
	symlink("socket:[1]", path);
	/* Not a pid: skipped. */
	snprintf(path, sizeof(path), "%s/self", dir);
	symlink("4242", path);
	*state = dir;
	return 0;
}

static int
teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static void
test_doctor_ports_holder_named_by_pid_and_comm(void **state)
{
	struct doctor_holder h;

	assert_int_equal(doctor_port_holder(*state, 8547, &h), 1);
	assert_int_equal(h.pid, 4242);
	assert_string_equal(h.comm, "python3");
}

static void
test_doctor_ports_free_port_has_no_holder(void **state)
{
	struct doctor_holder h;

	assert_int_equal(doctor_port_holder(*state, 8548, &h), 0);
	assert_int_equal(h.pid, 0);
}

static void
test_doctor_ports_unseen_process_still_held(void **state)
{
	struct doctor_holder h;

	/* Port 80's socket (inode 777) is in no fd dir doctor can read. */
	assert_int_equal(doctor_port_holder(*state, 80, &h), 1);
	assert_int_equal(h.pid, 0);
	assert_non_null(strstr(h.comm, "cannot see"));
}

static void
test_doctor_ports_no_tables_is_an_error(void **state)
{
	struct doctor_holder	 h;
	char			 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/absent", (char *)*state);
	assert_int_equal(doctor_port_holder(path, 80, &h), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctor_ports_listen_line_gives_its_inode),
		cmocka_unit_test(test_doctor_ports_established_is_not_listening),
		cmocka_unit_test(test_doctor_ports_tcp6_table_parsed),
		cmocka_unit_test(test_doctor_ports_malformed_table_refused),
		cmocka_unit_test_setup_teardown(
		    test_doctor_ports_holder_named_by_pid_and_comm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_doctor_ports_free_port_has_no_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_doctor_ports_unseen_process_still_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_doctor_ports_no_tables_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
