/* test_config.c - unit tests of src/base/config.c: layers, table, errors with positions */
/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char tmpfile_path[64];

static const char *
write_tmp(const char *text)
{
	int fd;

	snprintf(tmpfile_path, sizeof(tmpfile_path), "/tmp/test_config.XXXXXX");
	fd = mkstemp(tmpfile_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpfile_path;
}

static int
setup(void **state)
{
	(void)state;
	unsetenv("LOCALACME_CONFIG");
	unsetenv("LOCALACME_LEAF_DAYS");
	unsetenv("LOCALACME_LISTEN");
	unsetenv("LOCALACME_HOME");
	unsetenv("LOCALACME_VALIDATION");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	tmpfile_path[0] = '\0';
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (tmpfile_path[0] != '\0')
		unlink(tmpfile_path);
	unsetenv("LOCALACME_LEAF_DAYS");
	unsetenv("LOCALACME_CONFIG");
	return 0;
}

static int
parse(struct config *cfg, char **argv, char *err, size_t errsz)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	return config_parse(cfg, "test", argc, argv, NULL, NULL, NULL, err,
	    errsz);
}

static void
test_config_defaults_filled(void **state)
{
	struct config	 cfg;
	char		 err[256], *argv[] = { "test", NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), 1);
	assert_string_equal(cfg.state_dir, "/xdg/localacme");
	assert_int_equal(cfg.leaf_days, 90);
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0], "127.0.0.1:8555");
	assert_string_equal(cfg.listen[1], "[::1]:8555");
	assert_string_equal(cfg.base_url, "https://localhost:8555");
	assert_false(cfg.validation_skip);
	assert_int_equal(cfg.http01_port, 80);
	assert_int_equal(cfg.tlsalpn01_port, 443);
	assert_int_equal(cfg.max_body, 65536);
	assert_int_equal(cfg.nhostnames, 0);
	assert_false(cfg.eab_required);
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
	config_clear(&cfg);
}

static void
test_config_precedence_flag_beats_env_beats_file(void **state)
{
	struct config	 cfg;
	char		 err[256];
	const char	*path = write_tmp("{\"leaf_days\": 100, \"va_workers\": 7}");
	char		*argv_flag[] = { "test", "--config", (char *)path,
			    "--leaf-days", "300", NULL };
	char		*argv_noflag[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	setenv("LOCALACME_LEAF_DAYS", "200", 1);
	assert_true(parse(&cfg, argv_flag, err, sizeof(err)) > 0);
	assert_int_equal(cfg.leaf_days, 300);
	assert_int_equal(cfg.va_workers, 7);
	config_clear(&cfg);
	assert_true(parse(&cfg, argv_noflag, err, sizeof(err)) > 0);
	assert_int_equal(cfg.leaf_days, 200);
	config_clear(&cfg);
	unsetenv("LOCALACME_LEAF_DAYS");
	assert_true(parse(&cfg, argv_noflag, err, sizeof(err)) > 0);
	assert_int_equal(cfg.leaf_days, 100);
	assert_int_equal(cfg.http01_port, 80);	/* default survives */
	config_clear(&cfg);
}

static void
test_config_env_config_file_used(void **state)
{
	struct config	 cfg;
	char		 err[256], *argv[] = { "test", NULL };

	(void)state;
	setenv("LOCALACME_CONFIG", write_tmp("{\"validation\": \"skip\"}"), 1);
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), 1);
	assert_true(cfg.validation_skip);
	config_clear(&cfg);
}

static void
test_config_unknown_key_reports_line_col(void **state)
{
	struct config	 cfg;
	char		 err[512], want[128];
	const char	*path = write_tmp("{\n  \"leaf_days\": 10,\n  \"leaf_dayz\": 3\n}\n");
	char		*argv[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3:3: unknown setting \"leaf_dayz\"; "
	    "did you mean \"leaf_days\"?", path);
	assert_string_equal(err, want);
}

static void
test_config_type_error_reports_position(void **state)
{
	struct config	 cfg;
	char		 err[512], want[128];
	const char	*path = write_tmp("{\"listen\": [\"127.0.0.1:1\"], \"leaf_days\": \"90\"}");
	char		*argv[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1:29: leaf_days: must be an integer",
	    path);
	assert_string_equal(err, want);
}

static void
test_config_syntax_error_reports_position(void **state)
{
	struct config	 cfg;
	char		 err[512];
	const char	*path = write_tmp("{\n\"leaf_days\": 9,,\n}");
	char		*argv[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:"));
}

static void
test_config_duplicate_key_rejected(void **state)
{
	struct config	 cfg;
	char		 err[512];
	const char	*path = write_tmp("{\"leaf_days\": 9, \"leaf_days\": 10}");
	char		*argv[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "duplicate"));
}

static void
test_config_out_of_range_env_names_variable(void **state)
{
	struct config	 cfg;
	char		 err[256], *argv[] = { "test", NULL };

	(void)state;
	setenv("LOCALACME_LEAF_DAYS", "826", 1);
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	assert_string_equal(err, "LOCALACME_LEAF_DAYS: must be an integer "
	    "from 1 to 825");
}

static void
test_config_bad_flag_value_names_flag(void **state)
{
	struct config	 cfg;
	char		 err[256];
	char		*argv[] = { "test", "--validation", "maybe", NULL };
	char		*argv2[] = { "test", "--listen", "localhost:80", NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	assert_string_equal(err, "--validation: must be real or skip");
	assert_int_equal(parse(&cfg, argv2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "listen"));
}

static void
test_config_repeated_list_flag_appends(void **state)
{
	struct config	 cfg;
	char		 err[256];
	char		*argv[] = { "test", "--listen", "127.0.0.1:9000",
			    "--listen", "[::1]:9001", NULL };

	(void)state;
	setenv("LOCALACME_LISTEN", "10.0.0.1:1,10.0.0.2:2,10.0.0.3:3", 1);
	assert_true(parse(&cfg, argv, err, sizeof(err)) > 0);
	unsetenv("LOCALACME_LISTEN");
	assert_int_equal(cfg.nlisten, 2);
	assert_string_equal(cfg.listen[0], "127.0.0.1:9000");
	assert_string_equal(cfg.listen[1], "[::1]:9001");
	assert_string_equal(cfg.base_url, "https://localhost:9000");
	config_clear(&cfg);
}

static void
test_config_unknown_option_rejected(void **state)
{
	struct config	 cfg;
	char		 err[256], *argv[] = { "test", "--frobnicate", NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	assert_string_equal(err, "test: unknown option --frobnicate (see "
	    "`localacme test --help`)");
}

struct extra_seen {
	int	 n;
	char	 last[32];
};

static int
extra_cb(void *arg, int opt, const char *val)
{
	struct extra_seen *s = arg;

	if (opt != 7)
		return -1;
	s->n++;
	snprintf(s->last, sizeof(s->last), "%s", val);
	return strcmp(val, "bad") == 0 ? -1 : 0;
}

static void
test_config_extra_options_and_operands(void **state)
{
	struct config		 cfg;
	struct extra_seen	 seen = { 0, "" };
	struct option		 extra[] = {
		{ "out", required_argument, NULL, 7 }, { NULL, 0, NULL, 0 } };
	char			 err[256];
	char			*argv[] = { "issue", "a.test", "--out", "/x",
				    "--state", "/s", "b.test", NULL };
	char			*argv_bad[] = { "issue", "--out", "bad", NULL };
	int			 first;

	(void)state;
	first = config_parse(&cfg, "issue", 7, argv, extra, extra_cb, &seen,
	    err, sizeof(err));
	assert_int_equal(first, 5);	/* operands are permuted to the end */
	assert_string_equal(argv[first], "a.test");
	assert_string_equal(argv[first + 1], "b.test");
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.last, "/x");
	assert_string_equal(cfg.state_dir, "/s");
	config_clear(&cfg);
	assert_int_equal(config_parse(&cfg, "issue", 3, argv_bad, extra,
	    extra_cb, &seen, err, sizeof(err)), -1);
	assert_string_equal(err, "--out: invalid value \"bad\"");
}

static void
test_config_help_flag_set(void **state)
{
	struct config	 cfg;
	char		 err[256], *argv[] = { "test", "--help", NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), 2);
	assert_true(cfg.help);
	config_clear(&cfg);
}

static void
test_config_split_hostport_forms(void **state)
{
	char	 host[64];
	int	 port = 0;

	(void)state;
	assert_int_equal(config_split_hostport("[::1]:8555", host,
	    sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8555);
	assert_int_equal(config_split_hostport("127.0.0.1:1", host,
	    sizeof(host), &port), 0);
	assert_int_equal(config_split_hostport("::1:80", host, sizeof(host),
	    &port), -1);
	assert_int_equal(config_split_hostport("127.0.0.1:0", host,
	    sizeof(host), &port), -1);
	assert_int_equal(config_split_hostport("127.0.0.1", host,
	    sizeof(host), &port), -1);
}

/* Issue #12 item 14: newAccount limited by default only off loopback. */
static void
test_config_new_account_rate_per_listener(void **state)
{
	struct config	 cfg;
	char		 err[256];
	char		*a1[] = { "serve", "--listen", "127.0.0.1:1",
	    "--listen", "[::1]:2", "--listen", "0.0.0.0:3", "--listen",
	    "192.0.2.1:4", "--listen", "[::]:5", "--listen", "127.8.9.1:6",
	    NULL };
	char		*a2[] = { "serve", "--listen", "127.0.0.1:1", "--listen",
	    "0.0.0.0:3", "--new-account-rate", "7", NULL };
	char		*a3[] = { "serve", "--listen", "0.0.0.0:3",
	    "--new-account-rate", "0", NULL };
	char		*a4[] = { "serve", "--new-account-rate", "-2", NULL };

	(void)state;
	assert_true(parse(&cfg, a1, err, sizeof(err)) > 0);
	assert_int_equal(cfg.new_account_rate, -1);
	assert_int_equal(config_new_account_rate(&cfg, 0), 0);
	assert_int_equal(config_new_account_rate(&cfg, 1), 0);
	assert_int_equal(config_new_account_rate(&cfg, 2), 300);
	assert_int_equal(config_new_account_rate(&cfg, 3), 300);
	assert_int_equal(config_new_account_rate(&cfg, 4), 300);
	assert_int_equal(config_new_account_rate(&cfg, 5), 0);
	config_clear(&cfg);
	assert_true(parse(&cfg, a2, err, sizeof(err)) > 0);
	assert_int_equal(config_new_account_rate(&cfg, 0), 7);
	assert_int_equal(config_new_account_rate(&cfg, 1), 7);
	config_clear(&cfg);
	assert_true(parse(&cfg, a3, err, sizeof(err)) > 0);
	assert_int_equal(config_new_account_rate(&cfg, 0), 0);
	config_clear(&cfg);
	assert_int_equal(parse(&cfg, a4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "new-account-rate"));
}

static void
test_config_edit_distance_and_nearest(void **state)
{
	static const char *const c[] = { "leaf-days", "listen", "log-level",
	    NULL, "strict" };

	(void)state;
	assert_int_equal(config_edit_distance("", ""), 0);
	assert_int_equal(config_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(config_edit_distance("listen", "lsiten"), 2);
	assert_int_equal(config_edit_distance("abc", ""), 3);
	assert_string_equal(config_nearest("leaf-dayz", c, 5), "leaf-days");
	assert_string_equal(config_nearest("lisen", c, 5), "listen");
	assert_string_equal(config_nearest("strict", c, 5), "strict");
	/* Not a typo of anything: no guess. */
	assert_null(config_nearest("port", c, 5));
	assert_null(config_nearest("xy", c, 5));
	assert_null(config_nearest("z", c, 5));
}

static void
test_config_unknown_option_suggests(void **state)
{
	struct config	 cfg;
	char		 err[256];
	char		*a1[] = { "test", "--leaf-dayz=3", NULL };
	char		*a2[] = { "test", "--port", "15000", NULL };
	char		*a3[] = { "test", "--strict=yes", NULL };

	(void)state;
	assert_int_equal(parse(&cfg, a1, err, sizeof(err)), -1);
	assert_string_equal(err, "test: unknown option --leaf-dayz; did you "
	    "mean --leaf-days?");
	assert_int_equal(parse(&cfg, a2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--listen 127.0.0.1:PORT"));
	assert_int_equal(parse(&cfg, a3, err, sizeof(err)), -1);
	assert_string_equal(err, "test: option --strict takes no value");
}

static void
test_config_binary_file_position(void **state)
{
	struct config	 cfg;
	char		 err[512], want[160];
	const char	*path = write_tmp("{\n  \"a\": \x01\x7f");
	char		*argv[] = { "test", "--config", (char *)path, NULL };

	(void)state;
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2:8: binary data (byte 0x01), not a "
	    "JSON configuration file", path);
	assert_string_equal(err, want);
}

static void
test_config_empty_home_env_is_unset(void **state)
{
	struct config	 cfg;
	char		 err[512];
	const char	*path = write_tmp("{\"state_dir\": \"/from/file\"}");
	char		*argv[] = { "test", "--config", (char *)path, NULL };
	char		*flag[] = { "test", "--state=", NULL };

	(void)state;
	setenv("LOCALACME_HOME", "", 1);
	assert_int_equal(parse(&cfg, argv, err, sizeof(err)), 3);
	assert_string_equal(cfg.state_dir, "/from/file");
	config_clear(&cfg);
	unsetenv("LOCALACME_HOME");
	assert_int_equal(parse(&cfg, flag, err, sizeof(err)), -1);
	assert_string_equal(err, "--state: empty path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_defaults_filled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_precedence_flag_beats_env_beats_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_env_config_file_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_key_reports_line_col, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_type_error_reports_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_syntax_error_reports_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_duplicate_key_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_out_of_range_env_names_variable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_bad_flag_value_names_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_repeated_list_flag_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_option_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_edit_distance_and_nearest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_option_suggests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_binary_file_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_empty_home_env_is_unset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_extra_options_and_operands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_help_flag_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_split_hostport_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_new_account_rate_per_listener, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
