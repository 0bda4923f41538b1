/*
 * YAML files read against a libcyaml schema, with every error placed at
 * its file:line (SIGNET_ERR_CONFIG "name:line: reason"). One document
 * only; aliases are refused (no billion-laughs), keys are plain scalars,
 * nesting is bounded.
 */
#ifndef SIGNET_UTIL_YAML_H
#define SIGNET_UTIL_YAML_H

#include <stddef.h>
#include <stdint.h>

#include <cyaml/cyaml.h>

#include "signet/error.h"

/* Where each key and list entry is in the file: "profiles[2].keys[0]". */
struct yaml_lines;

/*
 * Parse text (named name in messages) and load it against schema into a
 * fresh *out (free with yaml_doc_free). *lines, if lines is not NULL, maps
 * key paths to lines for the caller's own checks.
 */
int yaml_doc_load(const char *name, const uint8_t *text, size_t len,
    const cyaml_schema_value_t *schema, void **out, struct yaml_lines **lines)
    SIGNET_WUR;
void yaml_doc_free(const cyaml_schema_value_t *schema, void *doc);

void yaml_lines_free(struct yaml_lines *lines);
/* Line of path (1-based), or of its nearest recorded parent, or 0. */
unsigned yaml_lines_find(const struct yaml_lines *lines, const char *path);
/* 1 if path is written in the file. */
int yaml_lines_has(const struct yaml_lines *lines, const char *path);

/*
 * Record SIGNET_ERR_CONFIG "name:line: reason" ("name: reason" for line 0,
 * the file as a whole) and return it.
 */
int yaml_error(const char *name, unsigned line, const char *fmt, ...)
    SIGNET_PRINTF(3, 4);

#endif /* SIGNET_UTIL_YAML_H */
