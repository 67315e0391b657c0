// SPDX-License-Identifier: GPL-2.0
/* addon.c - a Node-API addon with the few libipchannel calls the bench uses */
/*
 * Node loads it as build/bench/node/ipchannel.node. Every call is
 * synchronous: recv() and lock() block the whole Node thread, which is what
 * a ping-pong or lock loop wants and what no real server should do.
 *
 *	const ipc = require("./ipchannel.node");
 *	const h = ipc.open("chan");	// join; throws an Error with .code
 *	ipc.peerId(h);			// 1, 2, ...
 *	ipc.send(h, 2, buf);		// buf: a Buffer
 *	ipc.recv(h);			// { sender, data } (data: a Buffer)
 *	ipc.recv(h, 100);		// the same, or null after 100 ms
 *	ipc.lock(h, "name"); ipc.unlock(h, "name");
 *	ipc.lockInfo(h, "name");	// { holder, waiters }
 *	ipc.close(h);
 */
#define NAPI_VERSION 8
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <node_api.h>

#include <ipchannel.h>

/* What a JS handle holds; ipc is NULL once closed. */
struct handle {
	struct ipch *ipc;
};

#define NAME_MAX_BYTES	IPCHANNEL_NAME_LEN	/* with the NUL */

/* Throw an Error whose code is the errno name ("ENOENT") of -err. */
static napi_value throw_errno(napi_env env, const char *call, int err)
{
	char msg[128];
	const char *code = strerrorname_np(-err);

	snprintf(msg, sizeof(msg), "%s: %s", call, strerror(-err));
	napi_throw_error(env, code ? code : "EIO", msg);
	return NULL;
}

static napi_value throw_type(napi_env env, const char *msg)
{
	napi_throw_type_error(env, NULL, msg);
	return NULL;
}

/* The arguments of a call; fewer than asked for are left undefined. */
static int get_args(napi_env env, napi_callback_info info, napi_value *argv,
		    size_t want)
{
	size_t argc = want;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return -1;
	for (; argc < want; argc++)
		napi_get_undefined(env, &argv[argc]);
	return 0;
}

/* The open handle an argument names, or NULL with a TypeError thrown. */
static struct handle *get_handle(napi_env env, napi_value value)
{
	struct handle *h = NULL;

	if (napi_get_value_external(env, value, (void **)&h) != napi_ok || !h) {
		throw_type(env, "expected an ipchannel handle");
		return NULL;
	}
	if (!h->ipc) {
		napi_throw_error(env, "EBADF", "the handle is closed");
		return NULL;
	}
	return h;
}

/*
 * A name argument into buf (NAME_MAX_BYTES); a longer one is refused
 * rather than cut, as the library would refuse it.
 */
static int get_name(napi_env env, napi_value value, char *buf)
{
	size_t len;

	if (napi_get_value_string_utf8(env, value, NULL, 0, &len) != napi_ok) {
		throw_type(env, "expected a string");
		return -1;
	}
	if (len >= NAME_MAX_BYTES) {
		throw_errno(env, "name", -ENAMETOOLONG);
		return -1;
	}
	napi_get_value_string_utf8(env, value, buf, NAME_MAX_BYTES, &len);
	return 0;
}

static napi_value make_uint(napi_env env, uint32_t n)
{
	napi_value v;

	napi_create_uint32(env, n, &v);
	return v;
}

static napi_value make_undefined(napi_env env)
{
	napi_value v;

	napi_get_undefined(env, &v);
	return v;
}

/* The garbage collector closes a handle that the script did not close. */
static void handle_finalize(napi_env env, void *data, void *hint)
{
	struct handle *h = data;

	(void)env;
	(void)hint;
	ipch_close(h->ipc);
	free(h);
}

/* open(channel): join the channel, creating it if needed. */
static napi_value js_open(napi_env env, napi_callback_info info)
{
	char name[NAME_MAX_BYTES];
	struct handle *h;
	napi_value argv[1], result;
	int err;

	if (get_args(env, info, argv, 1) || get_name(env, argv[0], name))
		return NULL;

	h = calloc(1, sizeof(*h));
	if (!h)
		return throw_errno(env, "open", -ENOMEM);
	err = ipch_open(&h->ipc, name, NULL);
	if (err) {
		free(h);
		return throw_errno(env, "ipch_open", err);
	}

	if (napi_create_external(env, h, handle_finalize, NULL,
				 &result) != napi_ok) {
		ipch_close(h->ipc);
		free(h);
		return NULL;
	}
	return result;
}

/* peerId(h): this peer's id. */
static napi_value js_peer_id(napi_env env, napi_callback_info info)
{
	struct handle *h;
	napi_value argv[1];

	if (get_args(env, info, argv, 1))
		return NULL;
	h = get_handle(env, argv[0]);
	if (!h)
		return NULL;
	return make_uint(env, ipch_peer_id(h->ipc));
}

/* send(h, to, buffer): a plain message to one peer; waits for room. */
static napi_value js_send(napi_env env, napi_callback_info info)
{
	struct handle *h;
	napi_value argv[3];
	uint32_t to;
	void *data;
	size_t len;
	bool is_buf = false;
	int err;

	if (get_args(env, info, argv, 3))
		return NULL;
	h = get_handle(env, argv[0]);
	if (!h)
		return NULL;
	if (napi_get_value_uint32(env, argv[1], &to) != napi_ok)
		return throw_type(env, "expected a peer id");
	napi_is_buffer(env, argv[2], &is_buf);
	if (!is_buf ||
	    napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok)
		return throw_type(env, "expected a Buffer");

	err = ipch_send(h->ipc, to, data, len);
	if (err)
		return throw_errno(env, "ipch_send", err);
	return make_undefined(env);
}

/* { sender, data } of a received record; data is a copy. */
static napi_value make_record(napi_env env, const struct ipch_msg *msg)
{
	napi_value obj, data;

	if (napi_create_object(env, &obj) != napi_ok ||
	    napi_create_buffer_copy(env, msg->len, msg->data, NULL,
				    &data) != napi_ok)
		return NULL;
	napi_set_named_property(env, obj, "sender",
				make_uint(env, msg->sender));
	napi_set_named_property(env, obj, "data", data);
	return obj;
}

/*
 * recv(h[, timeout_ms]): the next record, waiting without limit by default;
 * null if the timeout passed. A signal does not end the wait.
 */
static napi_value js_recv(napi_env env, napi_callback_info info)
{
	struct ipch_msg msg;
	struct handle *h;
	napi_value argv[2], result;
	napi_valuetype type;
	int32_t timeout = -1;
	int err;

	if (get_args(env, info, argv, 2))
		return NULL;
	h = get_handle(env, argv[0]);
	if (!h)
		return NULL;
	napi_typeof(env, argv[1], &type);
	if (type != napi_undefined &&
	    napi_get_value_int32(env, argv[1], &timeout) != napi_ok)
		return throw_type(env, "expected a timeout in ms");

	do
		err = ipch_recv(h->ipc, &msg, timeout);
	while (err == -EINTR);
	if (err == -EAGAIN) {
		napi_get_null(env, &result);
		return result;
	}
	if (err)
		return throw_errno(env, "ipch_recv", err);

	return make_record(env, &msg);
}

/* lock(h, name) and unlock(h, name), for the calling thread. */
static napi_value lock_call(napi_env env, napi_callback_info info, bool take)
{
	char name[NAME_MAX_BYTES];
	struct handle *h;
	napi_value argv[2];
	int err;

	if (get_args(env, info, argv, 2))
		return NULL;
	h = get_handle(env, argv[0]);
	if (!h || get_name(env, argv[1], name))
		return NULL;

	if (take) {
		do
			err = ipch_lock(h->ipc, name);
		while (err == -EINTR);
	} else {
		err = ipch_unlock(h->ipc, name);
	}
	if (err)
		return throw_errno(env, take ? "ipch_lock" : "ipch_unlock",
				   err);
	return make_undefined(env);
}

static napi_value js_lock(napi_env env, napi_callback_info info)
{
	return lock_call(env, info, true);
}

static napi_value js_unlock(napi_env env, napi_callback_info info)
{
	return lock_call(env, info, false);
}

/* lockInfo(h, name): { holder, waiters }; holder 0 when the lock is free. */
static napi_value js_lock_info(napi_env env, napi_callback_info info)
{
	struct ipchannel_lock_info li;
	char name[NAME_MAX_BYTES];
	struct handle *h;
	napi_value argv[2], obj;
	int err;

	if (get_args(env, info, argv, 2))
		return NULL;
	h = get_handle(env, argv[0]);
	if (!h || get_name(env, argv[1], name))
		return NULL;

	err = ipch_lock_info(h->ipc, name, &li);
	if (err)
		return throw_errno(env, "ipch_lock_info", err);

	if (napi_create_object(env, &obj) != napi_ok)
		return NULL;
	napi_set_named_property(env, obj, "holder", make_uint(env, li.holder));
	napi_set_named_property(env, obj, "waiters",
				make_uint(env, li.nr_waiters));
	return obj;
}

/* close(h): leave the channel; a second close does nothing. */
static napi_value js_close(napi_env env, napi_callback_info info)
{
	struct handle *h = NULL;
	napi_value argv[1];

	if (get_args(env, info, argv, 1))
		return NULL;
	if (napi_get_value_external(env, argv[0], (void **)&h) != napi_ok || !h)
		return throw_type(env, "expected an ipchannel handle");

	ipch_close(h->ipc);
	h->ipc = NULL;
	return make_undefined(env);
}

/* Every function as an enumerable property of the module. */
#define METHOD(name, fn) \
	{ .utf8name = (name), .method = (fn), .attributes = napi_enumerable }

NAPI_MODULE_INIT()
{
	static const napi_property_descriptor props[] = {
		METHOD("open", js_open),
		METHOD("peerId", js_peer_id),
		METHOD("send", js_send),
		METHOD("recv", js_recv),
		METHOD("lock", js_lock),
		METHOD("unlock", js_unlock),
		METHOD("lockInfo", js_lock_info),
		METHOD("close", js_close),
	};

	if (napi_define_properties(env, exports,
				   sizeof(props) / sizeof(props[0]),
				   props) != napi_ok)
		return NULL;
	return exports;
}
