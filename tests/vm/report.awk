# SPDX-License-Identifier: GPL-2.0
# report.awk - count the TAP results in the output of a test VM.
#
# Input: the guest's output stream (see guest-init.sh for the markers).
# Output: one line per run ("run USER NAME PASS FAIL SKIP STATUS"), then
# "markers DMESG_BEGIN DMESG_END EXIT_SEEN EXIT_VALUE" and
# "totals PASS FAIL SKIP". A run whose program failed without printing a
# "not ok" line, or that never ended, counts as one failure; a program that
# exits with the kselftest skip code 4 without any result counts as a skip.

function finish(status) {
	if (status != 0 && status != 4 && fail == 0)
		fail = 1
	if (status == 4 && pass + fail + skip == 0)
		skip = 1
	printf "run %s %s %d %d %d %s\n", user, name, pass, fail, skip, status
	tpass += pass; tfail += fail; tskip += skip
	inrun = 0
}

{ sub(/\r+$/, "") }

/^@@IPCH-DMESG-BEGIN/ { dbegin = 1; indmesg = 1; next }
/^@@IPCH-DMESG-END/ { dend = 1; indmesg = 0; next }
indmesg { next }

/^@@IPCH-RUN / {
	if (inrun)
		finish("none")
	user = $2; name = $3; pass = fail = skip = 0; inrun = 1
	next
}
/^@@IPCH-STATUS / {
	if (inrun)
		finish($4)
	next
}
/^@@IPCH-EXIT / { exitseen = 1; exitval = $2; next }

inrun && /^not ok [0-9]+/ { fail++; next }
inrun && /^ok [0-9]+/ {
	if ($0 ~ /# *[Ss][Kk][Ii][Pp]/)
		skip++
	else
		pass++
	next
}

END {
	if (inrun)
		finish("none")
	printf "markers %d %d %d %s\n", dbegin, dend, exitseen, \
		exitseen ? exitval : "none"
	printf "totals %d %d %d\n", tpass, tfail, tskip
}
