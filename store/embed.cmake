# Turn schema.sql into a C string constant `store_schema_sql`.
file(READ ${IN} sql)
string(REPLACE "\\" "\\\\" sql "${sql}")
string(REPLACE "\"" "\\\"" sql "${sql}")
string(REPLACE "\n" "\\n\"\n\"" sql "${sql}")
file(WRITE ${OUT} "/* generated from store/schema.sql - do not edit */\nconst char store_schema_sql[] =\n\"${sql}\";\n")
