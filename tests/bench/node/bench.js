// SPDX-License-Identifier: GPL-2.0
// bench.js - ipchannel from Node.js (the addon) against the npm ipchannel
// package: round trip and lock hand-off between forked Node processes
//
//	node bench.js [--smoke] [--reps N] [--only METHOD] [-v] [rtt] [lock]
//
// Without a benchmark name it runs both; --only runs one method
// (ipchannel-node or npm-ipchannel); -v also prints every round.
//
// Every figure is a fixed count of round trips or acquisitions, run REPS
// times (default 5, or the REPS environment variable) after one
// unreported warm-up round, and printed as
//	@bench,<benchmark>,<parameter>,<method>,<unit>,<reps>,
//	<median>,<min>,<max>
// (one line, split here), and at the end a table for people. --smoke
// runs one short round of each.
"use strict";

const fs = require("fs");
const path = require("path");
const { fork } = require("child_process");

const WORKER = path.join(__dirname, "worker.js");
const ADDON = path.join(__dirname, "ipchannel.node");
const COUNT_FILE = "/tmp/ipchannel-bench-node.count";
const LOCK_NAME = "bench-node";		// as in worker.js
const TIMEOUT_MS = 300 * 1000;		// a stuck round fails the run

const RTT_SIZES = [64, 1024, 16384];
const LOCK_PROCS = [2, 4, 8];

// Counts per round: round trips, and acquisitions per process; and of
// the unreported warm-up round before them. V8 compiles the loops with
// its optimising compiler only after some thousand iterations: with a
// warm-up of 500 the lock rounds after the third ran 2.5 times faster
// than those before, and the first 64-byte npm round 2.4 times slower.
const COUNTS = {
	full: { rtt: 2000, rttWarmup: 2000, lock: 1000, lockWarmup: 4000 },
	smoke: { rtt: 100, rttWarmup: 50, lock: 100, lockWarmup: 50 },
};

const LOCK_RIVAL_NOTE = "node-lock: no rival figure; cluster-synchronize" +
	" is not in the npm registry (npm view: 404 under every spelling" +
	" tried) and npm ipchannel 0.2.8 offers no lock";

function parseArgs(argv) {
	const opts = { smoke: false, reps: Number(process.env.REPS || 5),
		       which: [], only: null, verbose: false };

	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === "--smoke")
			opts.smoke = true;
		else if (argv[i] === "--reps")
			opts.reps = Number(argv[++i]);
		else if (argv[i] === "-v" || argv[i] === "--verbose")
			opts.verbose = true;
		else if (argv[i] === "--only")
			opts.only = argv[++i];
		else if (argv[i] === "rtt" || argv[i] === "lock")
			opts.which.push(argv[i]);
		else
			throw new Error(`unknown argument ${argv[i]}`);
	}
	if (!Number.isInteger(opts.reps) || opts.reps < 1)
		throw new Error("--reps wants a positive integer");
	if (opts.only && opts.only !== "ipchannel-node" &&
	    opts.only !== "npm-ipchannel")
		throw new Error(`--only: unknown method ${opts.only}`);
	if (opts.smoke)
		opts.reps = 1;
	if (opts.which.length === 0)
		opts.which = ["rtt", "lock"];
	opts.counts = COUNTS[opts.smoke ? "smoke" : "full"];
	return opts;
}

// --- workers ------------------------------------------------------------

// A forked worker and the messages it sent that nobody took yet.
class Worker {
	constructor(args) {
		this.queue = [];
		this.waiter = null;
		this.child = fork(WORKER, args, {
			stdio: ["ignore", "inherit", "inherit", "ipc"],
		});
		this.exited = new Promise((resolve) => {
			this.child.on("exit", (code, signal) => {
				this.gone = signal || code;
				this.wake();
				resolve();
			});
		});
		this.child.on("message", (msg) => {
			this.queue.push(msg);
			this.wake();
		});
	}

	wake() {
		if (this.waiter)
			this.waiter();
	}

	// The next message, or an error if the worker died or took too long.
	async next(type) {
		const deadline = Date.now() + TIMEOUT_MS;

		while (this.queue.length === 0) {
			if (this.gone !== undefined)
				throw new Error("a worker ended: " + this.gone);
			const left = deadline - Date.now();

			if (left <= 0)
				throw new Error(`no "${type}" from a worker`);
			let timer;

			await new Promise((resolve) => {
				this.waiter = resolve;
				timer = setTimeout(resolve, left);
			});
			clearTimeout(timer);
			this.waiter = null;
		}
		const msg = this.queue.shift();

		if (msg.type !== type)
			throw new Error(`"${msg.type}", not "${type}"`);
		return msg;
	}

	send(msg) {
		this.child.send(msg);
	}
}

async function startWorkers(method, roles, args) {
	const workers = roles.map((r) => new Worker([method, r, ...args]));

	try {
		for (const w of workers)
			w.peer = (await w.next("ready")).peer;
	} catch (err) {
		await stopWorkers(workers, true);
		throw err;
	}
	return workers;
}

// Every worker is gone before the next case, so the npm package's next
// election sees none of them.
async function stopWorkers(workers, kill) {
	for (const w of workers) {
		if (w.gone !== undefined)
			continue;
		if (kill)
			w.child.kill("SIGKILL");
		else
			w.send({ type: "exit" });
	}
	await Promise.all(workers.map((w) => w.exited));
}

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- round trip -----------------------------------------------------------

async function rttRound(workers, size, count) {
	const [ping, echo] = workers;

	echo.send({ type: "go", peer: ping.peer, count });
	ping.send({ type: "go", peer: echo.peer, size, count });

	const done = await ping.next("done");

	await echo.next("done");
	return Number(BigInt(done.end) - BigInt(done.start)) / 1000 / count;
}

// One method, every payload size: us per round trip, REPS values each.
async function rttMethod(opts, method, report) {
	const count = opts.counts.rtt;
	const chan = `bn-rtt-${process.pid}`;
	const workers = await startWorkers(method, ["ping", "echo"], [chan]);

	try {
		for (const size of RTT_SIZES) {
			const values = [];

			await rttRound(workers, size, opts.counts.rttWarmup);
			for (let rep = 0; rep < opts.reps; rep++) {
				const us = await rttRound(workers, size, count);

				values.push(us);
			}
			report("node-rtt", size, method, "us/trip", values);
		}
	} finally {
		await stopWorkers(workers, false);
	}
}

// --- lock hand-off ----------------------------------------------------------

// The parent holds the lock while it starts the round, and lets go once
// every worker waits for it: no worker runs alone while the others are
// still waking up.
async function lockRound(ipc, h, workers, count) {
	fs.writeFileSync(COUNT_FILE, Buffer.alloc(8));
	ipc.lock(h, LOCK_NAME);
	workers.forEach((w, i) => w.send({ type: "go", index: i + 1, count }));

	const deadline = Date.now() + TIMEOUT_MS;

	while (ipc.lockInfo(h, LOCK_NAME).waiters < workers.length) {
		if (Date.now() > deadline)
			throw new Error("the lock workers never queued");
		await sleep(1);
	}
	ipc.unlock(h, LOCK_NAME);

	const done = [];

	for (const w of workers)
		done.push(await w.next("done"));

	const acquisitions = workers.length * count;
	const total = fs.readFileSync(COUNT_FILE).readUInt32LE(0);

	if (total !== acquisitions)
		throw new Error(`the count is ${total}, not ${acquisitions}`);

	// From the first acquisition of any worker to the last release.
	let start = BigInt(done[0].start);
	let end = 0n;
	let handoffs = 0;

	for (const d of done) {
		if (BigInt(d.start) < start)
			start = BigInt(d.start);
		if (BigInt(d.end) > end)
			end = BigInt(d.end);
		handoffs += d.handoffs;
	}
	const secs = Number(end - start) / 1e9;

	return { handoffs: handoffs / secs, acq: acquisitions / secs };
}

async function lockCase(opts, nprocs, report) {
	const ipc = require(ADDON);
	const method = "ipchannel-node";
	const count = opts.counts.lock;
	const chan = `bn-lock-${process.pid}-${nprocs}`;
	const h = ipc.open(chan);
	const roles = new Array(nprocs).fill("lock");
	let workers = [];

	fs.writeFileSync(COUNT_FILE, Buffer.alloc(8));
	try {
		workers = await startWorkers(method, roles, [chan, COUNT_FILE]);

		const rounds = [];

		await lockRound(ipc, h, workers, opts.counts.lockWarmup);
		for (let rep = 0; rep < opts.reps; rep++)
			rounds.push(await lockRound(ipc, h, workers, count));
		report("node-lock", nprocs, method, "handoffs/s",
		       rounds.map((r) => r.handoffs));
		report("node-lock", nprocs, method, "acq/s",
		       rounds.map((r) => r.acq));
	} finally {
		await stopWorkers(workers, false);
		ipc.close(h);
	}
}

// --- output -----------------------------------------------------------------

function summary(values) {
	const v = [...values].sort((a, b) => a - b);
	const mid = v.length >> 1;
	const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;

	return { median, min: v[0], max: v[v.length - 1] };
}

// Plain decimals: microseconds to 0.01, rates to 0.1.
function fmt(unit, x) {
	return x.toFixed(unit === "us/trip" ? 2 : 1);
}

function makeReporter(opts, rows) {
	return (bench, param, method, unit, values) => {
		const s = summary(values);

		console.log(["@bench", bench, param, method, unit, opts.reps,
			     fmt(unit, s.median), fmt(unit, s.min),
			     fmt(unit, s.max)].join(","));
		if (opts.verbose)
			console.log(`# rounds: ${values.map((v) => fmt(unit, v))
						    .join(" ")}`);
		rows.push({ bench, param, method, unit, median: s.median });
	};
}

function pad(s, n) {
	return String(s).padEnd(n);
}

// One line per benchmark, parameter and unit: ipchannel-node beside its
// rival, and the ratio of their medians.
function printTable(rows) {
	const keyOf = (r) => `${r.bench} ${r.param} ${r.unit}`;
	const keys = [];

	for (const r of rows) {
		if (!keys.includes(keyOf(r)))
			keys.push(keyOf(r));
	}
	console.log("");
	console.log("# ratio = ipchannel-node median / rival median; below 1" +
		    " is faster for us/trip, above 1 for rates");
	console.log("# " + pad("benchmark", 10) + pad("param", 7) +
		    pad("unit", 11) + pad("ipchannel-node", 16) +
		    pad("rival", 16) + pad("rival median", 14) + "ratio");
	for (const key of keys) {
		const same = rows.filter((r) => keyOf(r) === key);
		const mine = same.find((r) => r.method === "ipchannel-node");
		const rival = same.find((r) => r.method !== "ipchannel-node");
		const [bench, param, unit] = key.split(" ");
		const ratio = mine && rival ?
			(mine.median / rival.median).toFixed(2) : "n/a";

		console.log("# " + pad(bench, 10) + pad(param, 7) +
			    pad(unit, 11) +
			    pad(mine ? fmt(unit, mine.median) : "-", 16) +
			    pad(rival ? rival.method : "none", 16) +
			    pad(rival ? fmt(unit, rival.median) : "-", 14) +
			    ratio);
	}
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	const rows = [];
	const report = makeReporter(opts, rows);

	const mine = opts.only !== "npm-ipchannel";
	const npm = opts.only !== "ipchannel-node";

	if (opts.which.includes("rtt")) {
		if (mine)
			await rttMethod(opts, "ipchannel-node", report);
		if (npm)
			await rttMethod(opts, "npm-ipchannel", report);
	}
	if (opts.which.includes("lock")) {
		for (const n of LOCK_PROCS)
			if (mine)
				await lockCase(opts, n, report);
		if (npm)
			console.log(`@bench-note,${LOCK_RIVAL_NOTE}`);
	}
	printTable(rows);
}

main().catch((err) => {
	console.error(`bench.js: ${err.message}`);
	process.exit(1);
});
