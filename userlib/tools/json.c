// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * json.c - a small JSON writer: objects, arrays, strings and numbers on
 * one line, with the commas and the escaping taken care of
 *
 * Strings are byte strings: each byte becomes one character, U+0000 to
 * U+00FF. Names (printable ASCII) read as themselves; a payload of
 * arbitrary bytes survives the trip and is decoded as ISO-8859-1
 * (Python: s.encode("latin-1")). Only printable ASCII is written
 * unescaped, so the output is plain ASCII and always valid JSON.
 */
#include <inttypes.h>
#include <string.h>

#include "tool.h"

void json_start(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void put_string(FILE *f, const unsigned char *p, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		switch (p[i]) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (p[i] >= 0x20 && p[i] < 0x7f)
				fputc(p[i], f);
			else
				fprintf(f, "\\u%04x", p[i]);
		}
	}
	fputc('"', f);
}

/* The comma before a value, and its key inside an object. */
static void member(struct json *j, const char *key)
{
	if (j->more[j->depth])
		fputc(',', j->f);
	j->more[j->depth] = true;
	if (key) {
		put_string(j->f, (const unsigned char *)key, strlen(key));
		fputc(':', j->f);
	}
}

/* Open an object ('{') or array ('['); @key inside an object, else NULL. */
void json_open(struct json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->f);
	if (j->depth + 1 < JSON_DEPTH)
		j->depth++;
	j->more[j->depth] = false;
}

void json_close(struct json *j, char bracket)
{
	if (j->depth)
		j->depth--;
	fputc(bracket, j->f);
}

void json_str(struct json *j, const char *key, const char *s)
{
	json_bytes(j, key, s, strlen(s));
}

void json_bytes(struct json *j, const char *key, const void *data,
		size_t len)
{
	member(j, key);
	put_string(j->f, data, len);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

/* End the document (or the JSON Lines record) with a newline, flushed. */
void json_end(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
