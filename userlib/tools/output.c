// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * output.c - human output: colours, escaped payloads, ages and aligned
 * tables
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

static const char *const escapes[] = {
	[C_NONE] = "",
	[C_BOLD] = "\033[1m",
	[C_DIM] = "\033[2m",
	[C_RED] = "\033[31m",
	[C_GREEN] = "\033[32m",
	[C_YELLOW] = "\033[33m",
	[C_CYAN] = "\033[36m",
};

const char *color_on(const struct tool *t, enum color c)
{
	return t->color ? escapes[c] : "";
}

const char *color_off(const struct tool *t, enum color c)
{
	return t->color && c != C_NONE ? "\033[0m" : "";
}

/*
 * Payloads are arbitrary bytes: printable ASCII is written as it is,
 * a backslash as "\\", and every other byte as \n, \t, \r or \xNN, so that
 * nothing reaches the terminal as a control sequence.
 */
void print_escaped(FILE *f, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\t')
			fputs("\\t", f);
		else if (p[i] == '\r')
			fputs("\\r", f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

/* How long ago a CLOCK_MONOTONIC time was: "4.2s", "3m05s", "2h07m". */
void format_age(char *buf, size_t size, uint64_t since_ns)
{
	struct timespec now;
	uint64_t now_ns, s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (uint64_t)now.tv_sec * 1000000000ULL + now.tv_nsec;
	if (!since_ns || since_ns > now_ns) {
		snprintf(buf, size, "-");
		return;
	}
	s = (now_ns - since_ns) / 1000000000ULL;
	if (s < 60)
		snprintf(buf, size, "%.1fs", (now_ns - since_ns) / 1e9);
	else if (s < 3600)
		snprintf(buf, size, "%um%02us", (unsigned int)(s / 60),
			 (unsigned int)(s % 60));
	else
		snprintf(buf, size, "%luh%02um", (unsigned long)(s / 3600),
			 (unsigned int)(s / 60 % 60));
}

void table_init(struct table *tab, unsigned int ncols, unsigned int right)
{
	memset(tab, 0, sizeof(*tab));
	tab->ncols = ncols;
	tab->right = right;
}

/* Append one cell; rows fill left to right, ncols cells each. */
void table_add(struct table *tab, enum color c, const char *fmt, ...)
{
	va_list ap;
	char *cell;
	int ret;

	if (tab->n == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 64;
		char **cells = realloc(tab->cells, cap * sizeof(*cells));
		enum color *colors;

		if (cells)
			tab->cells = cells;
		colors = cells ? realloc(tab->colors, cap * sizeof(*colors))
			       : NULL;
		if (!colors) {
			tab->nomem = true;
			return;
		}
		tab->colors = colors;
		tab->cap = cap;
	}

	va_start(ap, fmt);
	ret = vasprintf(&cell, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		tab->nomem = true;
		return;
	}
	tab->cells[tab->n] = cell;
	tab->colors[tab->n++] = c;
}

/* The first row: one bold title per column. */
void table_head(struct table *tab, const char *const *titles)
{
	unsigned int i;

	for (i = 0; i < tab->ncols; i++)
		table_add(tab, C_BOLD, "%s", titles[i]);
}

/*
 * One row: cells padded to their column's width, except that a row ends
 * after its last non-empty cell, so that no line has trailing blanks.
 */
static void print_row(const struct tool *t, const struct table *tab,
		      size_t first, const size_t *width, FILE *f)
{
	unsigned int col, last = 0;

	for (col = 0; col < tab->ncols; col++)
		if (*tab->cells[first + col])
			last = col;
	for (col = 0; col <= last; col++) {
		const char *cell = tab->cells[first + col];
		enum color c = *cell ? tab->colors[first + col] : C_NONE;
		bool right = tab->right & (1U << col);
		size_t len = strlen(cell);

		if (col)
			fputs("  ", f);
		if (right)
			fprintf(f, "%*s", (int)(width[col] - len), "");
		fprintf(f, "%s%s%s", color_on(t, c), cell, color_off(t, c));
		if (!right && col < last)
			fprintf(f, "%*s", (int)(width[col] - len), "");
	}
	fputc('\n', f);
}

/* Print the rows with every column as wide as its widest cell. */
int table_print(const struct tool *t, struct table *tab, FILE *f)
{
	size_t width[16] = { 0 }, i;

	if (tab->nomem || tab->ncols > 16 || tab->n % tab->ncols)
		return -1;
	for (i = 0; i < tab->n; i++) {
		size_t len = strlen(tab->cells[i]);

		if (len > width[i % tab->ncols])
			width[i % tab->ncols] = len;
	}
	for (i = 0; i < tab->n; i += tab->ncols)
		print_row(t, tab, i, width, f);
	return 0;
}

void table_free(struct table *tab)
{
	size_t i;

	for (i = 0; i < tab->n; i++)
		free(tab->cells[i]);
	free(tab->cells);
	free(tab->colors);
	memset(tab, 0, sizeof(*tab));
}
