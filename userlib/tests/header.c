// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * header.c - the public header compiles alone (as C99 and C++) and its
 * functions link against the shared library
 */
#include <ipchannel.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct ipch *ipc = NULL;
	struct ipch_options opts;

	(void)argv;
	memset(&opts, 0, sizeof(opts));
	opts.flags = IPCH_OPEN_NOCREATE;
	if (argc > 1)	/* never run: only proves the symbols resolve */
		return ipch_open(&ipc, NULL, &opts) ||
		       ipch_send(ipc, 1, 0, 0) ||
		       ipch_synchronize(ipc, "l", 0, 0);
	ipch_close(ipc);
	return 0;
}
