# Turns rules/default.rules into a C string constant (no xxd needed at build time).
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUT} "/* Generated from rules/default.rules by cmake/embed_rules.cmake. */\n"
  "#include \"wormwatch/rules.h\"\n"
  "const char ww_default_rules_text[] = {${bytes} 0x00};\n")
