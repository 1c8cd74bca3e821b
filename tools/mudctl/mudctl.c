/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mudctl: the operator's command line, a NETCONF client of mudgated (libnetconf2, SSH).
 *
 *   mudctl [CONNECTION] [--json] devices | device MAC | policy NAME | counters
 *                              | set-state MAC STATE | refresh MAC | flush-caches
 *
 * CONNECTION: --connect FILE (a netconf.json as tools/lab writes it: host, port, username,
 * password, key-file, host-key), or --host, --port, --user, --key FILE (private key, FILE.pub
 * beside it), --password-file FILE; the password may also come from $MUDCTL_PASSWORD.
 * --host-key FILE.pub pins the server's SSH host key.
 * Exit status: 0 done, 1 refused or failed (the server's reason on stderr), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libyang/libyang.h>
#include <nc_client.h>

#define NS "urn:mudgate:params:xml:ns:yang:mudgate"

static struct {
	char *host, *user, *password, *key, *host_key;
	unsigned port;
	bool json;
} O = {.port = 830};

static char *
password_cb(const char *username, const char *hostname, void *priv)
{
	return strdup(O.password ? O.password : "");
}

/* With --host-key (or "host-key" in the --connect file) the server's key must be that one;
 * without, any key is accepted (the server creates its key on first start). */
static int
hostkey_cb(const char *hostname, ssh_session session, void *priv)
{
	ssh_key srv = NULL, want = NULL;
	int rc = 1;

	if (!O.host_key)
		return 0;
	if (ssh_get_server_publickey(session, &srv) != SSH_OK ||
	    ssh_pki_import_pubkey_file(O.host_key, &want) != SSH_OK) {
		fprintf(stderr, "mudctl: %s: cannot read the host key\n", O.host_key);
		goto out;
	}
	rc = ssh_key_cmp(srv, want, SSH_KEY_CMP_PUBLIC) ? 1 : 0;
	if (rc)
		fprintf(stderr, "mudctl: %s does not present the host key in %s\n", hostname,
			O.host_key);
out:
	ssh_key_free(srv);
	ssh_key_free(want);
	return rc;
}

static void
quiet_clb(const struct nc_session *session, NC_VERB_LEVEL level, const char *msg)
{
	if (getenv("MUDCTL_DEBUG"))
		fprintf(stderr, "libnetconf2: %s\n", msg);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mudctl [--connect FILE | --host H --port P --user U [--key FILE]\n"
		"              [--password-file FILE]] [--host-key FILE.pub] [--json] COMMAND\n"
		"commands:\n"
		"  devices                 every device: MAC, state, reason, policy, addresses\n"
		"  device MAC              one device in full\n"
		"  policy NAME             one policy (a MUD URL): status, devices, fetches\n"
		"  counters                control plane and fast path counters, per device too\n"
		"  set-state MAC STATE     unknown|pending|enforced|quarantined|updating|"
		"decommissioned\n"
		"  refresh MAC             fetch and verify the device's MUD file again now\n"
		"  flush-caches            drop cached MUD files; every file is fetched again\n"
		"The password may also come from $MUDCTL_PASSWORD. See docs/netconf.md.\n");
}

static char *
read_line_file(const char *path)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	return strdup(buf);
}

static int
load_connect(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e), *v;

	if (!j || !json_is_object(j)) {
		fprintf(stderr, "mudctl: %s:%d: %s\n", path, e.line, j ? "not an object" : e.text);
		json_decref(j);
		return -EINVAL;
	}
	if ((v = json_object_get(j, "host")) && json_is_string(v))
		O.host = strdup(json_string_value(v));
	if ((v = json_object_get(j, "port")) && json_is_integer(v))
		O.port = (unsigned)json_integer_value(v);
	if ((v = json_object_get(j, "username")) && json_is_string(v))
		O.user = strdup(json_string_value(v));
	if ((v = json_object_get(j, "password")) && json_is_string(v))
		O.password = strdup(json_string_value(v));
	if ((v = json_object_get(j, "key-file")) && json_is_string(v))
		O.key = strdup(json_string_value(v));
	if ((v = json_object_get(j, "host-key")) && json_is_string(v))
		O.host_key = strdup(json_string_value(v));
	json_decref(j);
	return 0;
}

/* The first rpc-error of a reply envelope as "message (path)" on stderr. */
static void
print_errors(const struct lyd_node *envp)
{
	const struct lyd_node *e, *c;

	LY_LIST_FOR (lyd_child(envp), e) {
		const char *msg = NULL, *path = NULL, *tag = NULL;
		if (strcmp(LYD_NAME(e), "rpc-error"))
			continue;
		LY_LIST_FOR (lyd_child(e), c) {
			if (!strcmp(LYD_NAME(c), "error-message"))
				msg = lyd_get_value(c);
			else if (!strcmp(LYD_NAME(c), "error-path"))
				path = lyd_get_value(c);
			else if (!strcmp(LYD_NAME(c), "error-tag"))
				tag = lyd_get_value(c);
		}
		fprintf(stderr, "mudctl: %s%s%s%s (%s)\n", path ? path : "", path ? ": " : "",
			msg ? msg : "refused", "", tag ? tag : "error");
	}
}

/* Send rpc; on success *data is the reply's data tree (get) or NULL (ok). */
static int
call(struct nc_session *s, struct nc_rpc *rpc, struct lyd_node **data)
{
	struct lyd_node *envp = NULL, *op = NULL;
	uint64_t id;
	NC_MSG_TYPE r;
	int rc = 0;

	if (data)
		*data = NULL;
	if (nc_send_rpc(s, rpc, 10000, &id) != NC_MSG_RPC) {
		fprintf(stderr, "mudctl: cannot send the request\n");
		return -EIO;
	}
	r = nc_recv_reply(s, rpc, id, 30000, &envp, &op);
	if (r != NC_MSG_REPLY) {
		fprintf(stderr, "mudctl: no reply\n");
		rc = -EIO;
		goto out;
	}
	if (envp && lyd_child(envp) && !strcmp(LYD_NAME(lyd_child(envp)), "rpc-error")) {
		print_errors(envp);
		rc = -EINVAL;
		goto out;
	}
	if (data && op) {
		struct lyd_node *d = NULL;
		lyd_find_path(op, "data", 1, &d);
		if (d && d->schema && (d->schema->nodetype & LYD_NODE_ANY)) {
			struct lyd_node_any *a = (struct lyd_node_any *)d;
			if (a->value_type == LYD_ANYDATA_DATATREE && a->value.tree)
				lyd_dup_siblings(a->value.tree, NULL, LYD_DUP_RECURSIVE, data);
		}
	}
out:
	lyd_free_all(envp);
	lyd_free_all(op);
	return rc;
}

/* ---- output ----------------------------------------------------------------------------- */

static json_t *
to_json(const struct lyd_node *n)
{
	json_t *o = json_object();
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c) {
		const char *name = LYD_NAME(c);
		json_t *v;
		if (!c->schema)
			continue;
		if (c->schema->nodetype & LYD_NODE_TERM) {
			const char *s = lyd_get_value(c);
			LY_DATA_TYPE t = ((struct lysc_node_leaf *)c->schema)->type->basetype;
			if (t == LY_TYPE_BOOL)
				v = json_boolean(!strcmp(s, "true"));
			else if (t == LY_TYPE_UINT8 || t == LY_TYPE_UINT16 || t == LY_TYPE_UINT32 ||
				 t == LY_TYPE_UINT64 || t == LY_TYPE_INT8 || t == LY_TYPE_INT16 ||
				 t == LY_TYPE_INT32 || t == LY_TYPE_INT64)
				v = json_integer(strtoll(s, NULL, 10));
			else
				v = json_string(s);
		} else {
			v = to_json(c);
		}
		if (c->schema->nodetype & (LYS_LIST | LYS_LEAFLIST)) {
			json_t *a = json_object_get(o, name);
			if (!a) {
				a = json_array();
				json_object_set_new(o, name, a);
			}
			json_array_append_new(a, v);
		} else {
			json_object_set_new(o, name, v);
		}
	}
	return o;
}

static const char *
val(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c)
		if (!strcmp(LYD_NAME(c), name))
			return lyd_get_value(c);
	return NULL;
}

static void
print_kv(const struct lyd_node *n, const char *indent)
{
	const struct lyd_node *c;

	LY_LIST_FOR (lyd_child(n), c) {
		if (c->schema && (c->schema->nodetype & LYD_NODE_TERM)) {
			printf("%s%-16s %s\n", indent, LYD_NAME(c), lyd_get_value(c));
		} else if (c->schema && (c->schema->nodetype & LYS_LIST)) {
			/* one line per entry: "drop  reason=ace-drop count=3" */
			const struct lyd_node *l;
			printf("%s%-16s", indent, LYD_NAME(c));
			LY_LIST_FOR (lyd_child(c), l)
				printf(" %s=%s", LYD_NAME(l),
				       lyd_get_value(l) ? lyd_get_value(l) : "");
			printf("\n");
		} else {
			printf("%s%s:\n", indent, LYD_NAME(c));
			print_kv(c, "  ");
		}
	}
}

static int
show(const struct lyd_node *data, const char *what, const char *key)
{
	const struct lyd_node *st = NULL, *c;
	int n = 0;

	LY_LIST_FOR (data, c)
		if (!strcmp(LYD_NAME(c), "mudgate-state"))
			st = c;
	if (O.json) {
		json_t *j = st ? to_json(st) : json_object();
		if (!strcmp(what, "devices") && !json_object_get(j, "device"))
			json_object_set_new(j, "device", json_array());
		if (!strcmp(what, "devices")) {
			json_t *out = json_pack("{s:O}", "devices", json_object_get(j, "device"));
			json_decref(j);
			j = out;
		} else if (key) {
			json_t *a =
				json_object_get(j, !strcmp(what, "device") ? "device" : "policy");
			json_t *one = a ? json_incref(json_array_get(a, 0)) : NULL;
			json_decref(j);
			j = one;
		}
		if (!j) {
			fprintf(stderr, "mudctl: no %s %s\n", what, key ? key : "");
			return 1;
		}
		char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(j);
		return 0;
	}
	if (!strcmp(what, "devices")) {
		printf("%-17s  %-14s  %-22s  %s\n", "MAC", "STATE", "REASON", "POLICY / MUD URL");
		LY_LIST_FOR (st ? lyd_child(st) : NULL, c) {
			if (strcmp(LYD_NAME(c), "device"))
				continue;
			const char *pol = val(c, "policy"), *url = val(c, "mud-url");
			printf("%-17s  %-14s  %-22s  %s\n", val(c, "mac"),
			       val(c, "state") ? val(c, "state") : "-",
			       val(c, "reason") ? val(c, "reason") : "-",
			       pol   ? pol
			       : url ? url
				     : "-");
			n++;
		}
		printf("%d device%s\n", n, n == 1 ? "" : "s");
		return 0;
	}
	if (!strcmp(what, "counters")) {
		LY_LIST_FOR (st ? lyd_child(st) : NULL, c) {
			struct lyd_node *k = NULL;
			if (strcmp(LYD_NAME(c), "device"))
				continue;
			if (!n++)
				printf("%-17s  %12s  %12s  %14s  %14s\n", "MAC", "ALLOWED",
				       "DROPPED", "BYTES-ALLOWED", "BYTES-DROPPED");
			lyd_find_path(c, "counters", 0, &k);
			const char *v[4] = {NULL, NULL, NULL, NULL};
			if (k) {
				v[0] = val(k, "packets-allowed");
				v[1] = val(k, "packets-dropped");
				v[2] = val(k, "bytes-allowed");
				v[3] = val(k, "bytes-dropped");
			}
			printf("%-17s  %12s  %12s  %14s  %14s\n", val(c, "mac"), v[0] ? v[0] : "-",
			       v[1] ? v[1] : "-", v[2] ? v[2] : "-", v[3] ? v[3] : "-");
		}
		n = 0;
	}
	LY_LIST_FOR (st ? lyd_child(st) : NULL, c) {
		if (!strcmp(what, "counters") &&
		    (!strcmp(LYD_NAME(c), "fast-path") || !strcmp(LYD_NAME(c), "counters"))) {
			printf("%s:\n", LYD_NAME(c));
			print_kv(c, "  ");
			n++;
		} else if (key && !strcmp(LYD_NAME(c), what)) {
			print_kv(c, "");
			n++;
		}
	}
	if (!n) {
		fprintf(stderr, "mudctl: no %s %s\n", what, key ? key : "");
		return 1;
	}
	return 0;
}

/* ---- main ------------------------------------------------------------------------------- */

static bool
mac_ok(const char *s)
{
	unsigned b[6];
	char end;

	return strlen(s) == 17 && sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
					 &b[4], &b[5], &end) == 6;
}

static bool
xml_safe(const char *s)
{
	return !strpbrk(s, "<>&'\"");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"connect", required_argument, NULL, 'c'},
		{"host", required_argument, NULL, 'H'},
		{"port", required_argument, NULL, 'p'},
		{"user", required_argument, NULL, 'u'},
		{"key", required_argument, NULL, 'k'},
		{"password-file", required_argument, NULL, 'P'},
		{"host-key", required_argument, NULL, 'K'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct nc_session *s = NULL;
	struct nc_rpc *rpc = NULL;
	struct lyd_node *data = NULL;
	char filter[512], xml[1024];
	const char *cmd;
	int c, status = 1;

	while ((c = getopt_long(argc, argv, "c:H:p:u:k:P:K:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (load_connect(optarg) < 0)
				return 1;
			break;
		case 'H':
			O.host = optarg;
			break;
		case 'p':
			O.port = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			O.user = optarg;
			break;
		case 'k':
			O.key = optarg;
			break;
		case 'P':
			O.password = read_line_file(optarg);
			if (!O.password) {
				fprintf(stderr, "mudctl: %s: %s\n", optarg, strerror(errno));
				return 1;
			}
			break;
		case 'K':
			O.host_key = optarg;
			break;
		case 'j':
			O.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	int nargs = argc - optind - 1;
	char **args = argv + optind + 1;
	bool needs_mac =
		!strcmp(cmd, "device") || !strcmp(cmd, "set-state") || !strcmp(cmd, "refresh");
	if ((!strcmp(cmd, "devices") || !strcmp(cmd, "counters") || !strcmp(cmd, "flush-caches"))
		    ? nargs != 0
	    : !strcmp(cmd, "set-state") ? nargs != 2
	    : (!strcmp(cmd, "device") || !strcmp(cmd, "refresh") || !strcmp(cmd, "policy"))
		    ? nargs != 1
		    : true) {
		usage(stderr);
		return 2;
	}
	if (needs_mac && !mac_ok(args[0])) {
		fprintf(stderr, "mudctl: '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)\n", args[0]);
		return 2;
	}
	for (int i = 0; i < nargs; i++)
		if (!xml_safe(args[i]) || strlen(args[i]) > 300) {
			fprintf(stderr, "mudctl: '%s': not a valid argument\n", args[i]);
			return 2;
		}
	if (!O.password && getenv("MUDCTL_PASSWORD"))
		O.password = strdup(getenv("MUDCTL_PASSWORD"));
	if (!O.password && !O.key) {
		fprintf(stderr, "mudctl: no credentials: --key, --password-file, --connect or "
				"$MUDCTL_PASSWORD\n");
		return 1;
	}

	nc_client_init();
	nc_verbosity(getenv("MUDCTL_DEBUG") ? NC_VERB_DEBUG : NC_VERB_ERROR);
	nc_set_print_clb_session(quiet_clb);
	nc_client_ssh_set_username(O.user ? O.user : "admin");
	nc_client_ssh_set_auth_hostkey_check_clb(hostkey_cb, NULL);
	nc_client_ssh_set_auth_password_clb(password_cb, NULL);
	nc_client_ssh_set_auth_pref(NC_SSH_AUTH_INTERACTIVE, -1);
	if (O.key) {
		char pub[4200];
		snprintf(pub, sizeof(pub), "%s.pub", O.key);
		nc_client_ssh_add_keypair(pub, O.key);
		nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, 3);
	} else {
		nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PUBLICKEY, -1);
	}
	if (!O.password)
		nc_client_ssh_set_auth_pref(NC_SSH_AUTH_PASSWORD, -1);
	s = nc_connect_ssh(O.host ? O.host : "127.0.0.1", (uint16_t)O.port, NULL);
	if (!s) {
		fprintf(stderr, "mudctl: cannot open a NETCONF session with %s:%u as %s\n",
			O.host ? O.host : "127.0.0.1", O.port, O.user ? O.user : "admin");
		goto out;
	}

	if (!strcmp(cmd, "devices") || !strcmp(cmd, "counters")) {
		snprintf(filter, sizeof(filter),
			 "<mudgate-state xmlns=\"%s\"><%s/></mudgate-state>", NS,
			 !strcmp(cmd, "devices") ? "device" : "counters");
		if (!strcmp(cmd, "counters"))
			snprintf(filter, sizeof(filter),
				 "<mudgate-state xmlns=\"%s\"><fast-path/><counters/>"
				 "<device><mac/><counters/></device></mudgate-state>",
				 NS);
	} else if (!strcmp(cmd, "device")) {
		snprintf(filter, sizeof(filter),
			 "<mudgate-state "
			 "xmlns=\"%s\"><device><mac>%s</mac></device></mudgate-state>",
			 NS, args[0]);
	} else if (!strcmp(cmd, "policy")) {
		snprintf(filter, sizeof(filter),
			 "<mudgate-state "
			 "xmlns=\"%s\"><policy><name>%s</name></policy></mudgate-state>",
			 NS, args[0]);
	} else {
		filter[0] = 0;
	}
	if (filter[0]) {
		rpc = nc_rpc_get(filter, NC_WD_UNKNOWN, NC_PARAMTYPE_CONST);
		if (!rpc || call(s, rpc, &data) < 0)
			goto out;
		status =
			show(data, !strcmp(cmd, "device") ? "device" : cmd, nargs ? args[0] : NULL);
		goto out;
	}
	if (!strcmp(cmd, "set-state"))
		snprintf(xml, sizeof(xml),
			 "<set-state xmlns=\"%s\"><mac>%s</mac><state>%s</state></set-state>", NS,
			 args[0], args[1]);
	else if (!strcmp(cmd, "refresh"))
		snprintf(xml, sizeof(xml), "<refresh xmlns=\"%s\"><mac>%s</mac></refresh>", NS,
			 args[0]);
	else
		snprintf(xml, sizeof(xml), "<flush-caches xmlns=\"%s\"/>", NS);
	rpc = nc_rpc_act_generic_xml(xml, NC_PARAMTYPE_CONST);
	if (!rpc || call(s, rpc, NULL) < 0)
		goto out;
	if (O.json)
		printf("{\"ok\": true}\n");
	status = 0;
out:
	lyd_free_all(data);
	nc_rpc_free(rpc);
	nc_session_free(s, NULL);
	nc_client_destroy();
	return status;
}
