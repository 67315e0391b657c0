// SPDX-License-Identifier: GPL-2.0
// worker.js - one benchmark process, forked by bench.js
//
//	node worker.js METHOD ROLE [ARG]
//
// METHOD is ipchannel-node (the addon over /dev/ipchannel) or npm-ipchannel
// (the npm package); ROLE is ping, echo or lock. ARG is the channel name
// (ipchannel-node) and, for lock, the count file.
//
// Talks to bench.js over the fork IPC pipe:
//	worker -> parent  { type: "ready", peer }	joined, peer id known
//	parent -> worker  { type: "go", ... }		run one round
//	worker -> parent  { type: "done", ... }	the round's figures
//	parent -> worker  { type: "exit" }		leave and exit
// Times are process.hrtime.bigint() (CLOCK_MONOTONIC, the same clock in
// every process), sent as decimal strings of nanoseconds.
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");

const LOCK_NAME = "bench-node";

const [method, role, arg, countFile] = process.argv.slice(2);

function now() {
	return process.hrtime.bigint().toString();
}

function fail(err) {
	console.error(`worker ${method} ${role}: ${err.stack || err}`);
	process.exit(1);
}

// Every lock worker runs on CPU 0. Under -icount QEMU runs the two
// virtual CPUs in turns of up to a scheduler tick, and a worker on the
// other CPU neither runs nor asks for the lock during the other's turn:
// unpinned, the figures followed those turns and spread over a factor of
// 30 between rounds. All threads are pinned (-a): V8 has helper threads.
function pinToCpu0() {
	try {
		execFileSync("taskset", ["-a", "-p", "1", String(process.pid)],
			     { stdio: "ignore" });
	} catch (err) {
		console.error(`worker: not pinned to CPU 0: ${err.message}`);
	}
}

// --- ipchannel-node: synchronous calls that block this process ---------

function addonMain() {
	const ipc = require(path.join(__dirname, "ipchannel.node"));
	const h = ipc.open(arg);
	let fd = -1;

	if (role === "lock") {
		fd = fs.openSync(countFile, "r+");
		pinToCpu0();
	}

	process.on("message", (msg) => {
		if (msg.type === "exit") {
			ipc.close(h);
			process.exit(0);
		}
		if (role === "ping")
			process.send(addonPing(ipc, h, msg));
		else if (role === "echo")
			process.send(addonEcho(ipc, h, msg));
		else
			process.send(lockLoop(ipc, h, fd, msg));
	});
	process.send({ type: "ready", peer: ipc.peerId(h) });
}

function addonPing(ipc, h, go) {
	const payload = Buffer.alloc(go.size, "x");
	const start = now();

	for (let i = 0; i < go.count; i++) {
		ipc.send(h, go.peer, payload);
		const rec = ipc.recv(h);

		if (rec.data.length !== go.size)
			fail(`an echo of ${rec.data.length} bytes`);
	}
	return { type: "done", start, end: now() };
}

function addonEcho(ipc, h, go) {
	for (let i = 0; i < go.count; i++) {
		const rec = ipc.recv(h);

		ipc.send(h, rec.sender, rec.data);
	}
	return { type: "done" };
}

// The count file holds two little-endian u32: the count, and the index of
// the last process that incremented it. Only the lock keeps the
// read-increment-write whole.
function lockLoop(ipc, h, fd, go) {
	const buf = Buffer.alloc(8);
	let handoffs = 0;
	let first = null;

	for (let i = 0; i < go.count; i++) {
		ipc.lock(h, LOCK_NAME);
		if (first === null)
			first = now();
		fs.readSync(fd, buf, 0, 8, 0);
		const last = buf.readUInt32LE(4);

		if (last !== 0 && last !== go.index)
			handoffs++;
		buf.writeUInt32LE(buf.readUInt32LE(0) + 1, 0);
		buf.writeUInt32LE(go.index, 4);
		fs.writeSync(fd, buf, 0, 8, 0);
		ipc.unlock(h, LOCK_NAME);
	}
	return { type: "done", start: first, end: now(), handoffs };
}

// --- npm-ipchannel: the package's event-driven API ----------------------

// The package runs "ps ax -ww -o pid,ppid,uid,gid,args" through /bin/sh.
// Where that is busybox, whose sh runs its own ps applet whatever PATH
// says and whose ps lacks those options, run.sh names a stand-in in
// BENCH_NODE_PS; only the program that prints the listing changes.
function redirectPs() {
	const cp = require("child_process");
	const exec = cp.exec;
	const ps = process.env.BENCH_NODE_PS;

	cp.exec = (cmd, ...rest) =>
		exec(cmd.replace(/^ps /, () => ps + " "), ...rest);
}

function npmMain() {
	if (process.env.BENCH_NODE_PS)
		redirectPs();

	// Importing the package joins its channel: it elects a server
	// process, and every peer connects to that one's Unix socket.
	const channel = require("ipchannel").default;
	let ping = null;

	channel.on("error", fail);
	channel.on("message", (sender, data) => {
		if (role === "echo") {
			channel.to(sender).send(data);
			return;
		}
		if (data.length !== ping.go.size)
			fail(`an echo of ${data.length} bytes`);
		if (++ping.done < ping.go.count) {
			channel.to(ping.go.peer).send(ping.payload);
			return;
		}
		process.send({ type: "done", start: ping.start, end: now() });
	});

	process.on("message", (msg) => {
		if (msg.type === "exit") {
			channel.disconnect();
			process.exit(0);
		}
		if (role !== "ping") {
			process.send({ type: "done" });
			return;
		}
		// The package sends JSON: a payload is a string of ASCII.
		ping = { go: msg, done: 0, payload: "x".repeat(msg.size) };
		ping.start = now();
		channel.to(msg.peer).send(ping.payload);
	});
	channel.on("connect", () => {
		process.send({ type: "ready", peer: channel.pid });
	});
}

if (method === "ipchannel-node")
	addonMain();
else if (method === "npm-ipchannel")
	npmMain();
else
	fail(`unknown method ${method}`);
