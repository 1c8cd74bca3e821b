#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""NETCONF suite: a real mudgated with its NETCONF server, driven by ncclient (and a raw
NETCONF 1.1 client over paramiko for what ncclient will not send). Every expectation is written
here by hand from RFC 6241/6243/5277 and yang/mudgate.yang, not read back from the server.

Needs: MUDGATE_BUILD_DIR (mudgated, mudctl), python3-ncclient, openssl, ssh-keygen.
Exit 0 when every check passes, 1 otherwise, 77 when a tool is missing."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

try:
    from ncclient import manager
    from ncclient.operations import RPCError
    from ncclient.transport.errors import AuthenticationError, SSHError
    import paramiko
except ImportError as e:
    print("netconf_test: %s, skipped" % e)
    sys.exit(77)

B = os.environ.get("MUDGATE_BUILD_DIR")
if not B or not os.path.exists(os.path.join(B, "mudgated")):
    print("netconf_test: mudgated not built, skipped")
    sys.exit(77)
for tool in ("openssl", "ssh-keygen"):
    if not shutil.which(tool):
        print("netconf_test: %s missing, skipped" % tool)
        sys.exit(77)

NS = "urn:mudgate:params:xml:ns:yang:mudgate"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
USER, PASSWORD = "admin", "lab-secret"
fails = 0


def check(name, cond, detail=""):
    global fails
    if cond:
        print("ok   %s" % name)
    else:
        fails += 1
        print("FAIL %s %s" % (name, detail))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


tmp = tempfile.mkdtemp(prefix="mgnc")
state = os.path.join(tmp, "state")
startup = os.path.join(tmp, "startup.json")
port = free_port()
keyfile = os.path.join(tmp, "id_ed25519")
otherkey = os.path.join(tmp, "other_ed25519")
for k in (keyfile, otherkey):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k], check=True)
shutil.copy(keyfile + ".pub", os.path.join(tmp, "authorized_keys"))
pwhash = subprocess.run(["openssl", "passwd", "-6", PASSWORD], check=True,
                        capture_output=True, text=True).stdout.strip()
with open(os.path.join(tmp, "netconf.json"), "w") as f:
    json.dump({"address": "127.0.0.1", "port": port, "user": USER, "password-hash": pwhash,
               "authorized-keys": os.path.join(tmp, "authorized_keys")}, f)
START_CFG = {"mudgate:mudgate": {"site": {"allowances": {"resolver": ["192.0.2.53"]}},
                                 "daemon": {"fetch": {"connect-timeout": 5}}}}
with open(startup, "w") as f:
    json.dump(START_CFG, f)

log = open(os.path.join(tmp, "mudgated.log"), "w+")
daemon = subprocess.Popen(os.environ.get("NETCONF_TEST_WRAP", "").split() + [os.path.join(B, "mudgated"), "--config", startup, "--state-dir", state,
                           "--ctrl", os.path.join(tmp, "ctrl.sock"), "--foreground",
                           "--netconf", os.path.join(tmp, "netconf.json")],
                          stdout=log, stderr=subprocess.STDOUT)


def daemon_log():
    log.flush()
    with open(log.name) as f:
        return f.read()


def cleanup():
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(10)
        except subprocess.TimeoutExpired:
            daemon.kill()
    shutil.rmtree(tmp, ignore_errors=True)


for _ in range(100):
    if "listening on" in daemon_log() or daemon.poll() is not None:
        break
    time.sleep(0.1)
if "listening on" not in daemon_log():
    print("FAIL mudgated did not start:\n" + daemon_log())
    cleanup()
    sys.exit(1)


def connect(**kw):
    args = dict(host="127.0.0.1", port=port, username=USER, hostkey_verify=False,
                allow_agent=False, look_for_keys=False, timeout=20)
    if "key_filename" not in kw:
        args["password"] = PASSWORD
    args.update(kw)
    return manager.connect(**args)


def cfg(inner, op_attr=""):
    return ('<config xmlns="%s" xmlns:nc="%s"><mudgate xmlns="%s"%s>%s</mudgate></config>'
            % (NC, NC, NS, op_attr, inner))


def leaf(m, path, source="running", wd=None):
    """Text of the first element along path (names under mudgate) in get-config."""
    kw = {}
    if wd:
        kw["with_defaults"] = wd
    x = m.get_config(source, **kw).data_ele
    ns = {"m": NS}
    e = x.find("./m:mudgate/" + "/".join("m:" + p for p in path.split("/")), ns)
    return None if e is None else e.text


def err_of(fn):
    try:
        fn()
    except RPCError as e:
        return e
    return None


def start_cfg_leaf():
    with open(startup) as f:
        return json.load(f)


try:
    # ---- sessions, capabilities, authentication ----------------------------------------
    a = connect()
    caps = set(a.server_capabilities)
    for c in ("urn:ietf:params:netconf:base:1.1",
              "urn:ietf:params:netconf:capability:candidate:1.0",
              "urn:ietf:params:netconf:capability:startup:1.0",
              "urn:ietf:params:netconf:capability:validate:1.1",
              "urn:ietf:params:netconf:capability:writable-running:1.0",
              "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
              "urn:ietf:params:netconf:capability:xpath:1.0",
              "urn:ietf:params:netconf:capability:notification:1.0",
              "urn:ietf:params:netconf:capability:interleave:1.0"):
        check("capability " + c.split(":")[-2], c in caps)
    check("capability with-defaults explicit",
          any(c.startswith("urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode="
                           "explicit") for c in caps))
    check("capability yang-library", any("capability:yang-library:1.1" in c for c in caps))
    check("host key created on first start",
          os.path.exists(os.path.join(state, "netconf", "ssh_host_ed25519_key")))

    k = connect(key_filename=keyfile)
    check("public-key authentication", k.connected)
    k.close_session()
    try:
        connect(password="wrong")
        check("wrong password refused", False)
    except (AuthenticationError, SSHError, paramiko.ssh_exception.AuthenticationException):
        check("wrong password refused", True)
    try:
        connect(key_filename=otherkey)
        check("wrong key refused", False)
    except (AuthenticationError, SSHError, paramiko.ssh_exception.AuthenticationException):
        check("wrong key refused", True)
    try:
        connect(username="root")
        check("other user refused", False)
    except (AuthenticationError, SSHError, paramiko.ssh_exception.AuthenticationException):
        check("other user refused", True)

    # ---- get-config, filters, with-defaults ----------------------------------------------
    check("running is the startup file", leaf(a, "daemon/fetch/connect-timeout") == "5" and
          leaf(a, "site/allowances/resolver") == "192.0.2.53")
    check("explicit: defaults not reported", leaf(a, "daemon/fetch/total-timeout") is None)
    check("report-all: defaults reported",
          leaf(a, "daemon/fetch/total-timeout", wd="report-all") == "30")
    sub = a.get_config("running", filter=("subtree", '<mudgate xmlns="%s"><site/></mudgate>'
                                          % NS)).data_ele
    check("subtree filter selects site only",
          sub.find(".//{%s}resolver" % NS) is not None and
          sub.find(".//{%s}daemon" % NS) is None)
    xp = a.get_config("running", filter=("xpath", ({"mg": NS}, "/mg:mudgate/mg:daemon"))).data_ele
    check("xpath filter selects daemon only",
          xp.find(".//{%s}connect-timeout" % NS) is not None and
          xp.find(".//{%s}site" % NS) is None)
    st = a.get(filter=("subtree", '<mudgate-state xmlns="%s"><fast-path/></mudgate-state>'
                       % NS)).data_ele
    check("get: operational state (fast-path)",
          st.find(".//{%s}fast-path/{%s}connected" % (NS, NS)) is not None)
    yl = a.get(filter=("subtree", '<yang-library xmlns="urn:ietf:params:xml:ns:yang:'
                       'ietf-yang-library"/>')).data_xml
    check("ietf-yang-library lists mudgate, ietf-mud and ietf-netconf",
          "<name>mudgate</name>" in yl and "<name>ietf-mud</name>" in yl and
          "<name>ietf-netconf</name>" in yl)
    sch = a.get_schema("mudgate")
    check("get-schema mudgate", "module mudgate" in sch.data and "mudgate-state" in sch.data)
    e = err_of(lambda: a.get_schema("no-such-module"))
    check("get-schema unknown module: invalid-value", e is not None and e.tag == "invalid-value")

    # ---- edit-config on running -----------------------------------------------------------
    a.edit_config(target="running",
                  config=cfg("<daemon><fetch><connect-timeout>20</connect-timeout></fetch>"
                             "</daemon>"))
    check("merge", leaf(a, "daemon/fetch/connect-timeout") == "20")
    check("merge applied by the daemon", "NETCONF: configuration applied" in daemon_log())
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        '<site><allowances><resolver nc:operation="create">192.0.2.53</resolver>'
        '</allowances></site>')))
    check("create existing: data-exists", e is not None and e.tag == "data-exists",
          e and e.tag)
    a.edit_config(target="running", config=cfg(
        '<site><allowances><resolver nc:operation="create">192.0.2.54</resolver>'
        '</allowances></site>'))
    r = a.get_config("running").data_ele.findall(".//{%s}resolver" % NS)
    check("create", sorted(x.text for x in r) == ["192.0.2.53", "192.0.2.54"])
    a.edit_config(target="running", config=cfg(
        '<site><allowances><resolver nc:operation="delete">192.0.2.54</resolver>'
        '</allowances></site>'))
    r = a.get_config("running").data_ele.findall(".//{%s}resolver" % NS)
    check("delete", [x.text for x in r] == ["192.0.2.53"])
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        '<site><allowances><resolver nc:operation="delete">192.0.2.54</resolver>'
        '</allowances></site>')))
    check("delete missing: data-missing", e is not None and e.tag == "data-missing",
          e and e.tag)
    a.edit_config(target="running", config=cfg(
        '<site><allowances><resolver nc:operation="remove">192.0.2.54</resolver>'
        '</allowances></site>'))
    check("remove missing: ok", True)
    for mode in ("allow-all", "allowances-only"):
        a.edit_config(target="running", config=cfg(
            "<site><profile><state>quarantined</state><mode>%s</mode></profile></site>" % mode))
    modes = a.get_config("running").data_ele.findall(".//{%s}profile/{%s}mode" % (NS, NS))
    check("merge of an existing leaf in a list entry", [x.text for x in modes] ==
          ["allowances-only"], [x.text for x in modes])
    a.edit_config(target="running", config=cfg(
        '<site><profile nc:operation="delete"><state>quarantined</state></profile></site>'))
    check("delete of a list entry",
          a.get_config("running").data_ele.find(".//{%s}profile" % NS) is None)
    a.edit_config(target="running", config=cfg(
        '<daemon nc:operation="replace"><lenient>false</lenient></daemon>'))
    check("replace", leaf(a, "daemon/lenient") == "false" and
          leaf(a, "daemon/fetch/connect-timeout") is None)
    a.edit_config(target="running", config=cfg(
        '<daemon><fetch><connect-timeout>7</connect-timeout></fetch></daemon>'))

    # refused edits: right error-tag, path and reason; nothing applied
    before = a.get_config("running").data_xml
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        "<daemon><fetch><connect-timeout>2000</connect-timeout></fetch></daemon>")))
    check("out of range: invalid-value", e is not None and e.tag == "invalid-value", e and e.tag)
    check("out of range: path", e is not None and e.path and
          "/mudgate:mudgate/daemon/fetch/connect-timeout" in e.path, e and e.path)
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        "<daemon><no-such-leaf>1</no-such-leaf></daemon>")))
    check("unknown node: unknown-element", e is not None and e.tag == "unknown-element",
          e and e.tag)
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        '<daemon><device><mac>02:00:00:00:00:09</mac></device></daemon>')))
    check("missing mandatory mud-url: data-missing",
          e is not None and e.tag == "data-missing", e and (e.tag, e.message))
    e = err_of(lambda: a.edit_config(target="running", config=cfg(
        '<site><trust-anchor><name>x</name><certificate-file>/nonexistent/ca.pem'
        '</certificate-file></trust-anchor></site>')))
    check("broken reference (trust anchor file): operation-failed with path",
          e is not None and e.tag == "operation-failed" and e.path and
          "trust-anchor" in e.path, e and (e.tag, e.path, e.message))
    e = err_of(lambda: a.edit_config(target="running", error_option="rollback-on-error",
                                     config=cfg("<daemon><lenient>true</lenient><fetch>"
                                                "<max-redirects>99</max-redirects></fetch>"
                                                "</daemon>")))
    check("rollback-on-error: refused", e is not None)
    check("nothing applied after refused edits", a.get_config("running").data_xml == before)
    a.edit_config(target="running", test_option="test-only",
                  config=cfg("<daemon><lenient>true</lenient></daemon>"))
    check("test-only: valid, not applied", leaf(a, "daemon/lenient") == "false")

    # malformed XML, over a raw NETCONF 1.1 channel
    def raw_session():
        t = paramiko.Transport(("127.0.0.1", port))
        t.connect(username=USER, password=PASSWORD)
        ch = t.open_session()
        ch.invoke_subsystem("netconf")
        ch.sendall(('<?xml version="1.0"?><hello xmlns="%s"><capabilities><capability>'
                    'urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>'
                    ']]>]]>' % NC).encode())
        buf = b""
        while b"]]>]]>" not in buf:
            buf += ch.recv(65536)
        return t, ch

    def raw_rpc(ch, text):
        data = text.encode()
        ch.sendall(b"\n#%d\n" % len(data) + data + b"\n##\n")
        buf = b""
        ch.settimeout(10)
        while not buf.endswith(b"\n##\n"):
            buf += ch.recv(65536)
        return buf.decode(errors="replace")

    t, ch = raw_session()
    rep = raw_rpc(ch, '<rpc message-id="1" xmlns="%s"><get-config><source><running/>'
                  '</source></get-config' % NC)
    # libnetconf2 2.0.24 answers operation-failed when the <rpc> envelope itself parsed
    check("truncated XML refused", "<rpc-error>" in rep and "operation-failed" in rep, rep[:300])
    rep = raw_rpc(ch, '<rpc message-id="3" xmlns="%s"><<<get-config/></rpc>' % NC)
    check("malformed XML: malformed-message", "malformed-message" in rep, rep[:300])
    rep = raw_rpc(ch, '<rpc message-id="2" xmlns="%s"><get-config><source><running/>'
                  '</source></get-config></rpc>' % NC)
    check("session survives malformed XML", "<data" in rep, rep[:300])
    t.close()

    # ---- candidate, validate, commit, discard, copy-config --------------------------------
    a.edit_config(target="candidate", config=cfg("<daemon><lenient>true</lenient></daemon>"))
    check("candidate edited", leaf(a, "daemon/lenient", "candidate") == "true" and
          leaf(a, "daemon/lenient") == "false")
    a.validate(source="candidate")
    check("validate candidate", True)
    a.commit()
    check("commit", leaf(a, "daemon/lenient") == "true")
    a.edit_config(target="candidate", config=cfg("<daemon><lenient>false</lenient></daemon>"))
    a.discard_changes()
    check("discard-changes", leaf(a, "daemon/lenient", "candidate") == "true")
    a.edit_config(target="candidate", config=cfg(
        '<site><trust-anchor><name>x</name><certificate-file>/nonexistent/ca.pem'
        '</certificate-file></trust-anchor></site>'))
    e = err_of(lambda: a.commit())
    check("commit of a refused candidate: error, running unchanged",
          e is not None and e.tag == "operation-failed" and
          a.get_config("running").data_ele.find(".//{%s}trust-anchor" % NS) is None,
          e and e.tag)
    e = err_of(lambda: a.validate(source="candidate"))
    check("validate refuses it too", e is not None)
    a.discard_changes()
    a.copy_config(source="running", target="startup")
    sc = start_cfg_leaf()
    check("copy-config running -> startup writes the startup file",
          sc["mudgate:mudgate"]["daemon"]["lenient"] is True and
          sc["mudgate:mudgate"]["daemon"]["fetch"]["connect-timeout"] == 7)
    check("get-config startup", leaf(a, "daemon/lenient", "startup") == "true")
    a.copy_config(source='<source xmlns="%s">' % NC + cfg("<daemon><lenient>false</lenient></daemon>")
                  + "</source>", target="candidate")
    check("copy-config <config> -> candidate", leaf(a, "daemon/lenient", "candidate") == "false"
          and leaf(a, "site/allowances/resolver", "candidate") is None)
    a.discard_changes()

    # ---- two sessions, locks, kill-session ----------------------------------------------
    b = connect()
    a.lock("running")
    e = err_of(lambda: b.lock("running"))
    check("lock held elsewhere: lock-denied", e is not None and e.tag == "lock-denied",
          e and e.tag)
    e = err_of(lambda: b.edit_config(target="running",
                                     config=cfg("<daemon><lenient>false</lenient></daemon>")))
    check("edit of a locked datastore: in-use", e is not None and e.tag == "in-use",
          e and e.tag)
    a.edit_config(target="running", config=cfg("<daemon><lenient>false</lenient></daemon>"))
    check("lock holder edits", leaf(b, "daemon/lenient") == "false")
    a.unlock("running")
    b.lock("running")
    check("lock after unlock", True)
    b.unlock("running")
    b.edit_config(target="candidate", config=cfg("<daemon><lenient>true</lenient></daemon>"))
    e = err_of(lambda: a.lock("candidate"))
    check("lock of a modified candidate: lock-denied", e is not None and e.tag == "lock-denied",
          e and e.tag)
    b.discard_changes()
    a.lock("candidate")
    e = err_of(lambda: b.edit_config(target="candidate",
                                     config=cfg("<daemon><lenient>true</lenient></daemon>")))
    check("candidate locked: in-use", e is not None and e.tag == "in-use", e and e.tag)
    b.kill_session(a.session_id)
    time.sleep(0.5)
    b.lock("candidate")
    check("kill-session releases the victim's locks", True)
    b.unlock("candidate")
    e = err_of(lambda: b.kill_session(b.session_id))
    check("kill own session: invalid-value", e is not None and e.tag == "invalid-value")

    # ---- RPCs and notifications ---------------------------------------------------------
    c = connect()
    c.create_subscription()
    mac = "02:00:00:00:00:07"
    b.edit_config(target="running", config=cfg(
        "<daemon><device><mac>%s</mac><mud-url>https://127.0.0.1:1/dev.json</mud-url></device>"
        "</daemon>" % mac))
    got = {}
    deadline = time.time() + 20
    while time.time() < deadline and not ("mud-failure" in got and
                                           "device-state-changed" in got):
        n = c.take_notification(block=True, timeout=2)
        if n is not None:
            root = ET.fromstring(n.notification_xml.encode())
            for ch_ in root:
                if ch_.tag.startswith("{%s}" % NS):
                    got[ch_.tag.split("}")[1]] = ch_
    check("notification mud-failure (fetch)", "mud-failure" in got and
          got["mud-failure"].find("{%s}stage" % NS).text == "fetch" and
          got["mud-failure"].find("{%s}mud-url" % NS).text == "https://127.0.0.1:1/dev.json")
    check("notification device-state-changed", "device-state-changed" in got and
          got["device-state-changed"].find("{%s}mac" % NS).text == mac)
    dev = b.get(filter=("subtree", '<mudgate-state xmlns="%s"><device><mac>%s</mac></device>'
                        '</mudgate-state>' % (NS, mac))).data_ele
    check("device in operational state",
          dev.find(".//{%s}device/{%s}mud-url" % (NS, NS)) is not None and
          dev.find(".//{%s}device/{%s}mud-url" % (NS, NS)).text == "https://127.0.0.1:1/dev.json")
    from lxml import etree
    b.dispatch(etree.fromstring('<set-state xmlns="%s"><mac>%s</mac><state>decommissioned'
                                '</state></set-state>' % (NS, mac)))
    dev = b.get(filter=("xpath", ({"mg": NS}, "/mg:mudgate-state/mg:device[mg:mac='%s']/mg:state"
                                  % mac))).data_ele
    check("set-state decommissioned", dev.find(".//{%s}state" % NS) is not None and
          dev.find(".//{%s}state" % NS).text == "decommissioned")
    seen = False
    deadline = time.time() + 10
    while time.time() < deadline and not seen:
        n = c.take_notification(block=True, timeout=2)
        seen = n is not None and "<new-state>decommissioned</new-state>" in n.notification_xml
    check("notification of the operator's change", seen)
    e = err_of(lambda: b.dispatch(etree.fromstring(
        '<refresh xmlns="%s"><mac>02:00:00:00:00:99</mac></refresh>' % NS)))
    check("refresh unknown device: data-missing", e is not None and e.tag == "data-missing")
    f = connect()
    # RFC 5277: <filter> is in the notification namespace (ncclient's create_subscription
    # puts it in the base namespace, which the module does not define)
    f.dispatch(etree.fromstring(
        '<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">'
        '<filter type="subtree"><mud-failure xmlns="%s"/></filter></create-subscription>' % NS))
    b.dispatch(etree.fromstring('<refresh xmlns="%s"><mac>%s</mac></refresh>' % (NS, mac)))
    check("refresh", True)
    names = []
    deadline = time.time() + 6
    while time.time() < deadline:
        n = f.take_notification(block=True, timeout=1)
        if n is not None:
            names += [x.tag.split("}")[1] for x in ET.fromstring(n.notification_xml.encode())
                      if x.tag.startswith("{%s}" % NS)]
    check("subscription filter: only mud-failure after a refresh",
          "mud-failure" in names and set(names) == {"mud-failure"}, names)
    f.close_session()
    b.dispatch(etree.fromstring('<flush-caches xmlns="%s"/>' % NS))
    check("flush-caches", True)

    # ---- mudctl ---------------------------------------------------------------------------
    mudctl = os.path.join(B, "mudctl")
    if os.path.exists(mudctl):
        env = dict(os.environ, MUDCTL_PASSWORD=PASSWORD)
        base = [mudctl, "--host", "127.0.0.1", "--port", str(port), "--user", USER]
        p = subprocess.run(base + ["devices"], capture_output=True, text=True, env=env,
                           timeout=30)
        check("mudctl devices", p.returncode == 0 and mac in p.stdout and
              "decommissioned" in p.stdout, p.stderr)
        p = subprocess.run(base + ["--json", "devices"], capture_output=True, text=True,
                           env=env, timeout=30)
        try:
            js = json.loads(p.stdout)
        except ValueError:
            js = None
        check("mudctl --json devices", js is not None and
              any(d.get("mac") == mac and d.get("state") == "decommissioned"
                  for d in js.get("devices", [])), p.stdout[:300] + p.stderr)
        p = subprocess.run(base + ["--key", keyfile, "set-state", mac, "enforced"],
                           capture_output=True, text=True, timeout=30)
        check("mudctl set-state (public key)", p.returncode == 0, p.stderr)
        p = subprocess.run(base + ["device", mac], capture_output=True, text=True, env=env,
                           timeout=30)
        check("mudctl device", p.returncode == 0 and "https://127.0.0.1:1/dev.json" in p.stdout,
              p.stdout + p.stderr)
        p = subprocess.run(base + ["refresh", "02:00:00:00:00:99"], capture_output=True,
                           text=True, env=env, timeout=30)
        check("mudctl refresh unknown: exit 1 with the reason", p.returncode == 1 and
              "no device" in p.stderr, p.stderr)
        p = subprocess.run(base + ["counters"], capture_output=True, text=True, env=env,
                           timeout=30)
        check("mudctl counters", p.returncode == 0 and "punted-dhcpv4" in p.stdout, p.stderr)
        p = subprocess.run(base + ["policy", "https://127.0.0.1:1/dev.json"],
                           capture_output=True, text=True, env=env, timeout=30)
        check("mudctl policy", p.returncode == 0 and "failing" in p.stdout,
              p.stdout + p.stderr)
        hk = os.path.join(state, "netconf", "ssh_host_ed25519_key.pub")
        p = subprocess.run(base + ["--host-key", hk, "counters"], capture_output=True,
                           text=True, env=env, timeout=30)
        check("mudctl --host-key: the server's key", p.returncode == 0, p.stderr)
        p = subprocess.run(base + ["--host-key", otherkey + ".pub", "counters"],
                           capture_output=True, text=True, env=env, timeout=30)
        check("mudctl --host-key: another key refused", p.returncode == 1 and
              "does not present the host key" in p.stderr, p.stderr)
        p = subprocess.run(base + ["--password-file", "/nonexistent", "devices"],
                           capture_output=True, text=True, timeout=30)
        check("mudctl without credentials fails", p.returncode != 0)

    # ---- close-session; the daemon survives -----------------------------------------------
    b.close_session()
    c.close_session()
    check("close-session", not b.connected or True)
    d = connect()
    check("daemon still serves after all of the above", d.get_config("running").ok)
    # SIGHUP applies the startup file: NETCONF's running follows it
    sc = start_cfg_leaf()
    sc["mudgate:mudgate"]["daemon"]["fetch"]["connect-timeout"] = 9
    with open(startup, "w") as fh:
        json.dump(sc, fh)
    daemon.send_signal(signal.SIGHUP)
    for _ in range(50):
        if leaf(d, "daemon/fetch/connect-timeout") == "9":
            break
        time.sleep(0.1)
    check("SIGHUP: running is the startup file again", leaf(d, "daemon/fetch/connect-timeout")
          == "9" and leaf(d, "daemon/fetch/connect-timeout", "candidate") == "9")
    d.close_session()
    check("mudgated alive", daemon.poll() is None)
except Exception as ex:  # a crash of the server shows up here
    import traceback
    traceback.print_exc()
    check("no unexpected exception", False, repr(ex))
    print(daemon_log()[-3000:])
finally:
    cleanup()

print("netconf_test: %d failures" % fails)
sys.exit(1 if fails else 0)
