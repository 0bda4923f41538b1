/*
 * Reading YAML files (policies, signet.yaml, ceremony files). libcyaml
 * loads a file against a schema; it reports what is wrong but not where,
 * so a first pass with libyaml records the line of every event and of every
 * key path. Errors from libcyaml are placed by counting the events it has
 * read; callers place theirs by key path (yaml_lines_find).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/yaml.h"

#define YAML_DEPTH_MAX 16
#define YAML_PATH_MAX 512

struct line_entry {
	char *path;
	unsigned line;
	char *scalar; /* the value, when it is a scalar */
};

struct yaml_lines {
	struct line_entry *v;
	size_t n, cap;
	unsigned *event_line; /* line of event i */
	size_t n_events, cap_events;
};

void
yaml_lines_free(struct yaml_lines *lines)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; i < lines->n; i++) {
		free(lines->v[i].path);
		free(lines->v[i].scalar);
	}
	free(lines->v);
	free(lines->event_line);
	free(lines);
}

static int
lines_add_path(struct yaml_lines *lines, const char *path, unsigned line)
{
	struct line_entry *v;

	if (lines->n == lines->cap) {
		size_t cap = lines->cap == 0 ? 64 : lines->cap * 2;

		if ((v = realloc(lines->v, cap * sizeof(*v))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		lines->v = v;
		lines->cap = cap;
	}
	if ((lines->v[lines->n].path = strdup(path)) == NULL)
		return signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
	lines->v[lines->n].scalar = NULL;
	lines->v[lines->n++].line = line;
	return 0;
}

static int
lines_add_event(struct yaml_lines *lines, unsigned line)
{
	unsigned *v;

	if (lines->n_events == lines->cap_events) {
		size_t cap =
		    lines->cap_events == 0 ? 256 : lines->cap_events * 2;

		if ((v = realloc(lines->event_line, cap * sizeof(*v))) == NULL)
			return signet_error_set(SIGNET_ERR_INTERNAL,
			    "out of memory");
		lines->event_line = v;
		lines->cap_events = cap;
	}
	lines->event_line[lines->n_events++] = line;
	return 0;
}

static const struct line_entry *
lines_lookup(const struct yaml_lines *lines, const char *path)
{
	size_t i;

	for (i = 0; i < lines->n; i++)
		if (strcmp(lines->v[i].path, path) == 0)
			return &lines->v[i];
	return NULL;
}

unsigned
yaml_lines_find(const struct yaml_lines *lines, const char *path)
{
	char buf[YAML_PATH_MAX];
	const struct line_entry *e;
	char *cut;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		if ((e = lines_lookup(lines, buf)) != NULL)
			return e->line;
		/* Try the parent: drop ".key" or "[i]". */
		cut = strrchr(buf, '.');
		if (strrchr(buf, '[') > cut)
			cut = strrchr(buf, '[');
		if (cut == NULL)
			return 0;
		*cut = '\0';
	}
}

int
yaml_lines_has(const struct yaml_lines *lines, const char *path)
{
	return lines_lookup(lines, path) != NULL;
}

struct yaml_frame {
	int is_map;
	size_t base; /* path length of the collection itself */
	int expect_key;
	unsigned index;
};

/* Append to path, refusing paths that would not fit. */
static int path_append(char *path, size_t *plen, const char *name,
    unsigned line, const char *fmt, ...) SIGNET_PRINTF(5, 6);

static int
path_append(char *path, size_t *plen, const char *name, unsigned line,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path + *plen, YAML_PATH_MAX - *plen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= YAML_PATH_MAX - *plen)
		return yaml_error(name, line, "key too long");
	*plen += (size_t)n;
	return 0;
}

/*
 * The libyaml pass: syntax errors with their line, one document only, no
 * aliases, keys plain scalars; and the line of every key path.
 */
static int
lines_build(const char *name, const uint8_t *text, size_t len,
    struct yaml_lines *lines)
{
	int r = SIGNET_ERR_INTERNAL;
	yaml_parser_t parser;
	yaml_event_t ev;
	struct yaml_frame st[YAML_DEPTH_MAX];
	struct yaml_frame *f;
	char path[YAML_PATH_MAX], ctx[128] = "";
	size_t plen = 0;
	int depth = 0, docs = 0, have_event = 0, done = 0;
	unsigned line;

	path[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return signet_error_set(SIGNET_ERR_INTERNAL,
		    "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, text, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.context != NULL &&
			    parser.context_mark.line !=
				parser.problem_mark.line)
				snprintf(ctx, sizeof(ctx), " %s on line %zu",
				    parser.context,
				    parser.context_mark.line + 1);
			else if (parser.context != NULL)
				snprintf(ctx, sizeof(ctx), " %s",
				    parser.context);
			r = yaml_error(name,
			    (unsigned)parser.problem_mark.line + 1, "%s%s",
			    parser.problem != NULL ? parser.problem
						   : "malformed YAML",
			    ctx);
			goto out;
		}
		have_event = 1;
		line = (unsigned)ev.start_mark.line + 1;
		if ((r = lines_add_event(lines, line)) != 0)
			goto out;
		f = depth > 0 ? &st[depth - 1] : NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				r = yaml_error(name, line,
				    "only one YAML document is allowed");
				goto out;
			}
			break;
		case YAML_ALIAS_EVENT:
			r = yaml_error(name, line,
			    "YAML aliases are not supported; write the value "
			    "out");
			goto out;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (f != NULL && f->is_map && f->expect_key) {
				if (ev.type != YAML_SCALAR_EVENT) {
					r = yaml_error(name, line,
					    "a key must be plain text");
					goto out;
				}
				plen = f->base;
				path[plen] = '\0';
				if ((r = path_append(path, &plen, name, line,
					 "%s%s", plen > 0 ? "." : "",
					 (const char *)ev.data.scalar.value)) !=
					0 ||
				    (r = lines_add_path(lines, path, line)) !=
					0)
					goto out;
				f->expect_key = 0;
				break;
			}
			if (f != NULL && !f->is_map) {
				plen = f->base;
				path[plen] = '\0';
				if ((r = path_append(path, &plen, name, line,
					 "[%u]", f->index++)) != 0 ||
				    (r = lines_add_path(lines, path, line)) !=
					0)
					goto out;
			}
			if (ev.type == YAML_SCALAR_EVENT) {
				/* The value of the path just recorded. */
				if (f != NULL && lines->n > 0 &&
				    lines->v[lines->n - 1].scalar == NULL &&
				    (lines->v[lines->n - 1].scalar = strdup(
					 (const char *)ev.data.scalar.value)) ==
					NULL) {
					r = signet_error_set(SIGNET_ERR_INTERNAL,
					    "out of memory");
					goto out;
				}
				if (f != NULL) {
					f->expect_key = f->is_map;
					plen = f->base;
					path[plen] = '\0';
				}
				break;
			}
			if (depth == YAML_DEPTH_MAX) {
				r = yaml_error(name, line, "nested too deeply");
				goto out;
			}
			st[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].base = plen;
			st[depth].expect_key = 1;
			st[depth].index = 0;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			f = depth > 0 ? &st[depth - 1] : NULL;
			if (f != NULL) {
				f->expect_key = f->is_map;
				plen = f->base;
			} else
				plen = 0;
			path[plen] = '\0';
			break;
		case YAML_NO_EVENT:
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_event = 0;
	}
	if (docs == 0) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:1: the file is empty", name);
		goto out;
	}
	r = 0;
out:
	if (have_event)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	return r;
}

/* What libcyaml said first, and how many events it had read by then. */
struct cyaml_report {
	size_t events;
	size_t error_event;
	char message[256];
	int have_message;
};

static void cyaml_report_log(cyaml_log_t level, void *ctx, const char *fmt,
    va_list args) SIGNET_PRINTF(3, 0);

static void
cyaml_report_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cyaml_report *rep = ctx;
	char *nl;

	if (strncmp(fmt, "Load: Event:", 12) == 0) {
		rep->events++;
		return;
	}
	if (level < CYAML_LOG_ERROR || rep->have_message ||
	    strncmp(fmt, "Load: Backtrace", 15) == 0 ||
	    strncmp(fmt, "  in ", 5) == 0)
		return;
	vsnprintf(rep->message, sizeof(rep->message), fmt, args);
	if ((nl = strchr(rep->message, '\n')) != NULL)
		*nl = '\0';
	rep->error_event = rep->events;
	rep->have_message = 1;
}

/* libcyaml's wording, in the words of someone editing the file. */
static void
cyaml_report_reason(const struct cyaml_report *rep, cyaml_err_t err, char *out,
    size_t outsz)
{
	const char *m = rep->message;

	if (!rep->have_message) {
		snprintf(out, outsz, "%s", cyaml_strerror(err));
		return;
	}
	if (strncmp(m, "Load: ", 6) == 0)
		m += 6;
	if (strncmp(m, "Unexpected key: ", 16) == 0)
		snprintf(out, outsz, "unknown key '%s'", m + 16);
	else if (strncmp(m, "Mapping field already seen: ", 28) == 0)
		snprintf(out, outsz, "duplicate key '%s'", m + 28);
	else if (strncmp(m, "Invalid ENUM value: ", 20) == 0)
		snprintf(out, outsz, "'%s' is neither true nor false", m + 20);
	else if (strncmp(m, "Invalid ", 8) == 0 &&
		 strstr(m, " value: ") != NULL)
		snprintf(out, outsz, "%s is not a number this key accepts",
		    strstr(m, " value: ") + 8);
	else if (strncmp(m, "STRING length > ", 16) == 0)
		snprintf(out, outsz, "the value is longer than %.*s characters",
		    (int)strspn(m + 16, "0123456789"), m + 16);
	else if (strncmp(m, "Expecting SEQUENCE", 18) == 0)
		snprintf(out, outsz, "expected a list here");
	else if (strncmp(m, "Expecting MAPPING", 17) == 0)
		snprintf(out, outsz, "expected keys and values here");
	else if (strncmp(m, "Expecting ", 10) == 0)
		snprintf(out, outsz, "expected a single value here");
	else
		snprintf(out, outsz, "%s", m);
}

/*
 * libcyaml reads numbers with strtoll/strtoull and ignores what follows
 * the digits, in base 0: "1.9" and "1e9" are 1, "20abc" is 20, "010" is
 * 8 and "0x10" is 16. Every number the schema asks for must be plain
 * decimal digits (an optional '-' for signed ones).
 */
static int
number_check(const char *name, const struct yaml_lines *lines, const char *path,
    int is_signed)
{
	const struct line_entry *e = lines_lookup(lines, path);
	const char *p;

	if (e == NULL || e->scalar == NULL)
		return 0;
	p = e->scalar;
	if (is_signed && *p == '-')
		p++;
	if (*p != '\0' && strspn(p, "0123456789") == strlen(p) &&
	    (p[0] != '0' || p[1] == '\0'))
		return 0;
	return yaml_error(name, e->line,
	    "%s: '%.40s%s' is not a whole number; write it in decimal digits "
	    "(no fraction, exponent, hex, unit or leading zero)",
	    path, e->scalar, strlen(e->scalar) > 40 ? "..." : "");
}

static int
numbers_check(const char *name, const struct yaml_lines *lines,
    const cyaml_schema_value_t *v, char *path, size_t plen)
{
	const cyaml_schema_field_t *f;
	unsigned i;
	int n, r;

	switch (v->type) {
	case CYAML_INT:
	case CYAML_UINT:
		return number_check(name, lines, path, v->type == CYAML_INT);
	case CYAML_MAPPING:
		for (f = v->mapping.fields; f->key != NULL; f++) {
			n = snprintf(path + plen, YAML_PATH_MAX - plen, "%s%s",
			    plen > 0 ? "." : "", f->key);
			if (n < 0 || (size_t)n >= YAML_PATH_MAX - plen)
				continue;
			r = numbers_check(name, lines, &f->value, path,
			    plen + (size_t)n);
			path[plen] = '\0';
			if (r != 0)
				return r;
		}
		return 0;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		for (i = 0;; i++) {
			n = snprintf(path + plen, YAML_PATH_MAX - plen, "[%u]",
			    i);
			if (n < 0 || (size_t)n >= YAML_PATH_MAX - plen ||
			    !yaml_lines_has(lines, path))
				break;
			r = numbers_check(name, lines, v->sequence.entry, path,
			    plen + (size_t)n);
			path[plen] = '\0';
			if (r != 0)
				return r;
		}
		path[plen] = '\0';
		return 0;
	default:
		return 0;
	}
}

static const cyaml_config_t *
yaml_config(struct cyaml_report *rep, cyaml_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_fn = cyaml_report_log;
	cfg->log_ctx = rep;
	cfg->mem_fn = cyaml_mem;
	/* Debug level, to count events; the callback drops the rest. */
	cfg->log_level = CYAML_LOG_DEBUG;
	cfg->flags = CYAML_CFG_NO_ALIAS;
	return cfg;
}

int
yaml_doc_load(const char *name, const uint8_t *text, size_t len,
    const cyaml_schema_value_t *schema, void **out,
    struct yaml_lines **lines_out)
{
	int r = SIGNET_ERR_INTERNAL;
	struct yaml_lines *lines = NULL;
	void *doc = NULL;
	struct cyaml_report rep;
	cyaml_config_t cfg;
	cyaml_err_t err;
	char reason[300], path[YAML_PATH_MAX];
	unsigned line = 0;

	*out = NULL;
	if (lines_out != NULL)
		*lines_out = NULL;
	if ((lines = calloc(1, sizeof(*lines))) == NULL) {
		r = signet_error_set(SIGNET_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((r = lines_build(name, text, len, lines)) != 0)
		goto out;
	memset(&rep, 0, sizeof(rep));
	err = cyaml_load_data(text, len, yaml_config(&rep, &cfg), schema,
	    (cyaml_data_t **)&doc, NULL);
	if (err != CYAML_OK) {
		cyaml_report_reason(&rep, err, reason, sizeof(reason));
		if (rep.error_event > 0 && rep.error_event <= lines->n_events)
			line = lines->event_line[rep.error_event - 1];
		r = yaml_error(name, line, "%s", reason);
		doc = NULL;
		goto out;
	}
	if (doc == NULL) {
		r = signet_error_set(SIGNET_ERR_CONFIG,
		    "%s:1: the file holds nothing", name);
		goto out;
	}
	path[0] = '\0';
	if ((r = numbers_check(name, lines, schema, path, 0)) != 0)
		goto out;
	*out = doc;
	doc = NULL;
	if (lines_out != NULL) {
		*lines_out = lines;
		lines = NULL;
	}
	r = 0;
out:
	yaml_doc_free(schema, doc);
	yaml_lines_free(lines);
	return r;
}

void
yaml_doc_free(const cyaml_schema_value_t *schema, void *doc)
{
	struct cyaml_report rep;
	cyaml_config_t cfg;

	if (doc == NULL)
		return;
	memset(&rep, 0, sizeof(rep));
	yaml_config(&rep, &cfg);
	cfg.log_level = CYAML_LOG_ERROR;
	(void)cyaml_free(&cfg, schema, doc, 0);
}

int
yaml_error(const char *name, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Line 0: about the file as a whole (a key it lacks). */
	if (line == 0)
		return signet_error_set(SIGNET_ERR_CONFIG, "%s: %s", name, msg);
	return signet_error_set(SIGNET_ERR_CONFIG, "%s:%u: %s", name, line,
	    msg);
}
