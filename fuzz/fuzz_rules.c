/* Fuzz target: the rules parser on arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wormwatch/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    static struct ww_ruleset rules; /* large: keep it off the stack */
    char err[512];
    if (!ww_rules_parse(text, "fuzz.rules", &rules, err, sizeof err) &&
        strncmp(err, "fuzz.rules:", 11) != 0)
        abort(); /* every error must name file and line */
    free(text);
    return 0;
}
