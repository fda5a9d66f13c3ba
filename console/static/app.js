// The dynax console's script: every read and write is a DynamoDB API call
// to this origin (POST / with X-Amz-Target), signed with SigV4 (sigv4.js).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const AUTH = body.dataset.auth, PAGE = body.dataset.page;

  // ---- Credentials -------------------------------------------------------
  const CREDS_KEY = "dynax-console-credentials";
  function creds() {
    try {
      const c = JSON.parse(sessionStorage.getItem(CREDS_KEY) || "null");
      if (c && c.accessKeyId && c.secretAccessKey) return c;
    } catch (e) { /* ignore a damaged entry */ }
    if (AUTH === "sigv4") return null;
    // --auth off: any well-formed signature is accepted.
    return { accessKeyId: "console", secretAccessKey: "console", region: body.dataset.region, placeholder: true };
  }

  // ---- API ---------------------------------------------------------------
  class APIError extends Error {
    constructor(type, message, status) {
      super(message || type);
      this.type = type;
      this.status = status;
    }
  }

  // call runs one API operation and resolves to its decoded answer.
  async function call(op, req, prefix) {
    const c = creds();
    if (!c) {
      location.href = "/console/settings?next=" + encodeURIComponent(location.pathname + location.search);
      throw new APIError("MissingCredentials", "Enter credentials first.");
    }
    const target = (prefix || "DynamoDB_20120810") + "." + op;
    const payload = JSON.stringify(req || {});
    const headers = SigV4.sign(c, location.host, target, payload);
    let resp;
    try {
      resp = await fetch("/", { method: "POST", headers, body: payload, credentials: "omit", cache: "no-store" });
    } catch (e) {
      throw new APIError("NetworkError", "The node did not answer: " + e.message);
    }
    const text = await resp.text();
    let out = {};
    if (text) {
      try { out = JSON.parse(text); } catch (e) { out = { message: text }; }
    }
    if (!resp.ok) {
      const type = String(out.__type || "HTTP " + resp.status).replace(/^.*#/, "");
      const msg = out.message || out.Message || "";
      if (type === "UnrecognizedClientException" || type === "InvalidSignatureException" || type === "MissingAuthenticationTokenException") {
        showWho(type + ": " + msg);
      }
      throw new APIError(type, msg, resp.status);
    }
    return out;
  }
  const streams = (op, req) => call(op, req, "DynamoDBStreams_20120810");

  // ---- DOM helpers -------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined) e.append(k);
    return e;
  }
  function showError(id, err) {
    const p = $(id);
    if (!p) return;
    if (!err) { p.hidden = true; p.textContent = ""; return; }
    p.textContent = err.type && err.type !== err.message ? err.type + ": " + err.message : err.message || String(err);
    p.hidden = false;
  }
  function say(msg) {
    const s = $("status");
    s.textContent = "";
    setTimeout(() => { s.textContent = msg; }, 50);
  }
  function showWho(extra) {
    const w = $("who");
    if (!w) return;
    const c = creds();
    w.textContent = extra ? extra : c ? (c.placeholder ? "" : "Signed as " + c.accessKeyId) : "Not signed in";
  }
  function parseJSON(text, what) {
    if (!text.trim()) return undefined;
    try { return JSON.parse(text); } catch (e) { throw new APIError("InvalidJSON", what + " is not valid JSON: " + e.message); }
  }
  const tableURL = (name) => "/console/table?name=" + encodeURIComponent(name);
  const itemURL = (table, key) => "/console/item?table=" + encodeURIComponent(table) + (key ? "&key=" + encodeURIComponent(JSON.stringify(key)) : "");
  function fmtBytes(n) {
    if (n === undefined) return "—";
    const u = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + u[i];
  }

  // ---- Attribute values ---------------------------------------------------
  // toPlain turns a DynamoDB attribute value into plain JSON (sets become
  // lists, binaries base64 strings, numbers JSON numbers when exact).
  function toPlain(av) {
    const [t, v] = Object.entries(av)[0] || [];
    switch (t) {
      case "S": case "B": return v;
      case "N": { const n = Number(v); return String(n) === v ? n : v; }
      case "BOOL": return v;
      case "NULL": return null;
      case "L": return v.map(toPlain);
      case "M": return itemToPlain(v);
      case "SS": case "BS": return v.slice();
      case "NS": return v.map((x) => Number(x));
    }
    return v;
  }
  function fromPlain(v) {
    if (v === null) return { NULL: true };
    if (typeof v === "string") return { S: v };
    if (typeof v === "number") return { N: String(v) };
    if (typeof v === "boolean") return { BOOL: v };
    if (Array.isArray(v)) return { L: v.map(fromPlain) };
    return { M: itemFromPlain(v) };
  }
  const itemToPlain = (item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, toPlain(v)]));
  const itemFromPlain = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fromPlain(v)]));
  const typeOf = (av) => Object.keys(av)[0];
  function display(av) {
    const t = typeOf(av);
    if (t === "S" || t === "N") return av[t];
    if (t === "NULL") return "null";
    if (t === "BOOL") return String(av.BOOL);
    return JSON.stringify(toPlain(av));
  }
  // keyValue converts form text to an attribute value of a key type.
  function keyValue(type, text) {
    return type === "N" ? { N: text.trim() } : type === "B" ? { B: text.trim() } : { S: text };
  }

  // ---- Results: table, pager, export --------------------------------------
  function columns(items, keys) {
    // Key attributes first, then the others by name (attribute order in
    // an answer means nothing).
    const rest = new Set();
    for (const it of items) for (const k of Object.keys(it)) if (!keys.includes(k)) rest.add(k);
    return keys.concat(Array.from(rest).sort());
  }
  function toCSV(items, keys) {
    const cols = columns(items, keys || []);
    const q = (s) => (/[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
    const rows = [cols.map(q).join(",")];
    for (const it of items) rows.push(cols.map((c) => (it[c] ? q(display(it[c])) : "")).join(","));
    return rows.join("\r\n") + "\r\n";
  }
  function download(name, type, text) {
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // renderResults shows items in box. o: {table, keys, page, more, onNext,
  // onPrev, name, count, scanned}.
  function renderResults(box, items, o) {
    box.textContent = "";
    const keys = o.keys || [];
    const cols = columns(items, keys).slice(0, 24);
    const summary = el("p", { class: "summary", role: "status" },
      items.length + (items.length === 1 ? " item" : " items") + (o.page ? " · page " + o.page : "") +
      (o.scanned !== undefined ? " · " + o.scanned + " scanned" : ""));
    const bar = el("div", { class: "bar" }, summary,
      el("button", { type: "button", class: "export-json", onclick: () => download((o.name || "items") + ".json", "application/json", JSON.stringify(items, null, 2)) }, "Export page as JSON"),
      el("button", { type: "button", class: "export-csv", onclick: () => download((o.name || "items") + ".csv", "text/csv", toCSV(items, keys)) }, "Export page as CSV"));
    box.append(bar);
    if (items.length) {
      const thead = el("thead", {}, el("tr", {}, o.table ? el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Open")) : null,
        cols.map((c) => el("th", { scope: "col" }, c, keys.includes(c) ? el("span", { class: "key" }, "key") : null))));
      const tbody = el("tbody", {}, items.map((it) => {
        let open = null;
        if (o.table && keys.length && keys.every((k) => it[k])) {
          const key = Object.fromEntries(keys.map((k) => [k, it[k]]));
          open = el("td", {}, el("a", { href: itemURL(o.table, key), "aria-label": "Open item " + keys.map((k) => display(it[k])).join(" / ") }, "Open"));
        } else if (o.table) open = el("td", {});
        return el("tr", {}, open, cols.map((c) => el("td", { "data-type": it[c] ? typeOf(it[c]) : null }, it[c] ? display(it[c]) : "")));
      }));
      box.append(el("div", { class: "scroll" }, el("table", { class: "grid results-grid" }, el("caption", { class: "sr-only" }, "Result items"), thead, tbody)));
    }
    if (o.onPrev || o.onNext) {
      box.append(el("div", { class: "pager" },
        el("button", { type: "button", class: "prev", disabled: !o.onPrev, onclick: o.onPrev }, "Previous page"),
        el("button", { type: "button", class: "next", disabled: !o.onNext, onclick: o.onNext }, "Next page")));
    }
  }

  // pager runs fetch(startKey) → {items, last, scanned} with a stack of
  // start keys, so Previous replays the page before.
  function pager(box, fetchPage, o) {
    const starts = [undefined];
    async function show(i, errId) {
      try {
        showError(errId, null);
        const r = await fetchPage(starts[i]);
        if (r.last) starts[i + 1] = r.last;
        renderResults(box, r.items, Object.assign({}, o, {
          page: i + 1, scanned: r.scanned,
          onPrev: i > 0 ? () => show(i - 1, errId) : null,
          onNext: r.last ? () => show(i + 1, errId) : null,
        }));
      } catch (e) { showError(errId, e); }
    }
    return show;
  }

  // ---- Tabs (WAI-ARIA: arrows move between tabs) ----------------------
  function tabs(root) {
    const list = Array.from(root.querySelectorAll('[role="tab"]'));
    function select(t) {
      for (const x of list) {
        const on = x === t;
        x.setAttribute("aria-selected", on);
        x.tabIndex = on ? 0 : -1;
        $(x.getAttribute("aria-controls")).hidden = !on;
      }
      history.replaceState(null, "", "#" + t.id.replace(/^tab-/, ""));
    }
    for (const t of list) {
      t.addEventListener("click", () => select(t));
      t.addEventListener("keydown", (e) => {
        let i = list.indexOf(t);
        if (e.key === "ArrowRight") i = (i + 1) % list.length;
        else if (e.key === "ArrowLeft") i = (i - 1 + list.length) % list.length;
        else if (e.key === "Home") i = 0;
        else if (e.key === "End") i = list.length - 1;
        else return;
        e.preventDefault();
        list[i].focus();
        select(list[i]);
      });
    }
    const fromHash = () => {
      const want = $("tab-" + location.hash.slice(1));
      if (want && list.includes(want)) select(want);
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  // ---- AWS CLI --------------------------------------------------------------
  const sq = (s) => (/^[A-Za-z0-9_.:\/=-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'");
  function cliCommand(service, op, req) {
    const cmd = op.replace(/[A-Z]/g, (c, i) => (i ? "-" : "") + c.toLowerCase());
    const parts = ["aws", service, cmd, "--endpoint-url", sq(location.origin)];
    for (const [k, v] of Object.entries(req)) {
      if (v === undefined) continue;
      const flag = "--" + k.replace(/[A-Z]/g, (c, i) => (i ? "-" : "") + c.toLowerCase());
      if (typeof v === "boolean") {
        if (k === "ScanIndexForward") parts.push(v ? "--scan-index-forward" : "--no-scan-index-forward");
        else parts.push(v ? flag : "--no-" + flag.slice(2));
      } else if (typeof v === "object") parts.push(flag, sq(JSON.stringify(v)));
      else parts.push(flag, sq(String(v)));
    }
    return parts.join(" ");
  }

  // ---- Tables page ----------------------------------------------------------
  async function tablesPage() {
    const per = 25;
    let names = [];
    async function load() {
      showError("tables-error", null);
      try {
        names = [];
        let start;
        do {
          const r = await call("ListTables", start ? { ExclusiveStartTableName: start } : {});
          names.push(...(r.TableNames || []));
          start = r.LastEvaluatedTableName;
        } while (start);
        await show(0);
      } catch (e) { showError("tables-error", e); }
    }
    async function describe(name) {
      const [d, ttl, pitr] = await Promise.all([
        call("DescribeTable", { TableName: name }),
        call("DescribeTimeToLive", { TableName: name }).catch(() => null),
        call("DescribeContinuousBackups", { TableName: name }).catch(() => null),
      ]);
      return { t: d.Table, ttl: ttl && ttl.TimeToLiveDescription, pitr: pitr && pitr.ContinuousBackupsDescription };
    }
    async function show(page) {
      const tbody = $("tables").tBodies[0];
      const slice = names.slice(page * per, page * per + per);
      const rows = await Promise.all(slice.map((n) => describe(n).catch((e) => ({ name: n, err: e }))));
      tbody.textContent = "";
      if (!names.length) tbody.append(el("tr", {}, el("td", { colspan: 9 }, "No tables yet.")));
      for (const r of rows) {
        if (r.err) { tbody.append(el("tr", {}, el("td", {}, r.name), el("td", { colspan: 8 }, r.err.message))); continue; }
        const t = r.t;
        const idx = (t.GlobalSecondaryIndexes || []).length + " GSI, " + (t.LocalSecondaryIndexes || []).length + " LSI";
        const st = t.StreamSpecification && t.StreamSpecification.StreamEnabled ? t.StreamSpecification.StreamViewType : "off";
        const ttl = r.ttl ? (r.ttl.TimeToLiveStatus === "ENABLED" ? "on (" + r.ttl.AttributeName + ")" : r.ttl.TimeToLiveStatus.toLowerCase()) : "—";
        const pitr = r.pitr && r.pitr.PointInTimeRecoveryDescription ? r.pitr.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus.toLowerCase() : "—";
        const billing = t.BillingModeSummary ? t.BillingModeSummary.BillingMode : "PROVISIONED";
        tbody.append(el("tr", {},
          el("th", { scope: "row" }, el("a", { href: tableURL(t.TableName) }, t.TableName)),
          el("td", {}, t.TableStatus), el("td", { class: "num" }, String(t.ItemCount ?? "—")),
          el("td", { class: "num" }, fmtBytes(t.TableSizeBytes)), el("td", {}, billing === "PAY_PER_REQUEST" ? "On-demand" : "Provisioned " + t.ProvisionedThroughput.ReadCapacityUnits + "/" + t.ProvisionedThroughput.WriteCapacityUnits),
          el("td", {}, idx), el("td", {}, st), el("td", {}, ttl), el("td", {}, pitr)));
      }
      const pg = $("tables-pager");
      pg.textContent = "";
      if (names.length > per) {
        pg.append(el("button", { type: "button", disabled: page === 0, onclick: () => show(page - 1) }, "Previous page"),
          el("span", {}, " Page " + (page + 1) + " of " + Math.ceil(names.length / per) + " "),
          el("button", { type: "button", disabled: (page + 1) * per >= names.length, onclick: () => show(page + 1) }, "Next page"));
      }
    }
    $("refresh").addEventListener("click", load);
    const billing = $("ct-billing");
    const syncCap = () => { const p = billing.value === "PROVISIONED"; $("ct-rcu").disabled = !p; $("ct-wcu").disabled = !p; };
    billing.addEventListener("change", syncCap);
    syncCap();
    $("create-table").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("ct-error", null);
      showError("ct-name-err", null);
      const f = ev.target;
      const name = $("ct-name").value.trim(), pk = $("ct-pk").value.trim(), sk = $("ct-sk").value.trim();
      const req = {
        TableName: name,
        AttributeDefinitions: [{ AttributeName: pk, AttributeType: $("ct-pkt").value }],
        KeySchema: [{ AttributeName: pk, KeyType: "HASH" }],
        BillingMode: billing.value,
      };
      if (sk) {
        req.AttributeDefinitions.push({ AttributeName: sk, AttributeType: $("ct-skt").value });
        req.KeySchema.push({ AttributeName: sk, KeyType: "RANGE" });
      }
      if (billing.value === "PROVISIONED") req.ProvisionedThroughput = { ReadCapacityUnits: Number($("ct-rcu").value), WriteCapacityUnits: Number($("ct-wcu").value) };
      if ($("ct-stream").value) req.StreamSpecification = { StreamEnabled: true, StreamViewType: $("ct-stream").value };
      try {
        const extra = parseJSON($("ct-extra").value, "More CreateTable parameters");
        if (extra) {
          if (extra.AttributeDefinitions) {
            const have = new Set(req.AttributeDefinitions.map((a) => a.AttributeName));
            req.AttributeDefinitions.push(...extra.AttributeDefinitions.filter((a) => !have.has(a.AttributeName)));
            delete extra.AttributeDefinitions;
          }
          Object.assign(req, extra);
        }
        await call("CreateTable", req);
        say("Table " + name + " created.");
        location.href = tableURL(name);
      } catch (e) {
        showError("ct-error", e);
        if (/table ?name/i.test(e.message)) { showError("ct-name-err", e); $("ct-name").setAttribute("aria-invalid", "true"); $("ct-name").focus(); }
        else if (/key|attribute/i.test(e.message) && !pk) $("ct-pk").focus();
      }
    });
    await load();
  }

  // ---- Table page -------------------------------------------------------------
  async function tablePage() {
    const name = $("table-h").dataset.table;
    tabs(document.querySelector(".tabs"));
    let t;
    try {
      t = (await call("DescribeTable", { TableName: name })).Table;
    } catch (e) { showError("browse-error", e); return; }
    const attrType = Object.fromEntries((t.AttributeDefinitions || []).map((a) => [a.AttributeName, a.AttributeType]));
    const keysOf = (ks) => ks.map((k) => k.AttributeName);
    const indexes = [...(t.GlobalSecondaryIndexes || []).map((i) => ({ name: i.IndexName, kind: "GSI", ks: i.KeySchema })),
      ...(t.LocalSecondaryIndexes || []).map((i) => ({ name: i.IndexName, kind: "LSI", ks: i.KeySchema }))];
    for (const sel of [$("browse-index"), $("qb-index")]) for (const i of indexes) sel.append(el("option", { value: i.name }, i.kind + " " + i.name));
    const schemaFor = (index) => (index ? indexes.find((i) => i.name === index).ks : t.KeySchema);
    // Item links need the table's key; index pages show index and table keys.
    const linkKeys = (index) => { const k = keysOf(t.KeySchema); for (const x of keysOf(schemaFor(index))) if (!k.includes(x)) k.push(x); return k; };

    // Browse
    function browse() {
      const index = $("browse-index").value;
      const limit = Number($("browse-limit").value) || 25;
      const show = pager($("browse-results"), async (start) => {
        const r = await call("Scan", { TableName: name, IndexName: index || undefined, Limit: limit, ExclusiveStartKey: start });
        return { items: r.Items || [], last: r.LastEvaluatedKey, scanned: r.ScannedCount };
      }, { table: name, keys: linkKeys(index), name: name + (index ? "-" + index : "") });
      show(0, "browse-error");
    }
    $("browse-index").addEventListener("change", browse);
    $("browse-limit").addEventListener("change", browse);
    browse();

    // Query builder
    const mode = $("qb-mode"), qidx = $("qb-index");
    // Key elements: one or more HASH and RANGE attributes (multi-attribute
    // index keys have several of each, in order).
    const suffix = (i) => (i ? "-" + i : "");
    const keyParts = (index) => {
      const ks = schemaFor(index);
      return { hash: ks.filter((k) => k.KeyType === "HASH"), range: ks.filter((k) => k.KeyType === "RANGE") };
    };
    const ops = [["", "(any)"], ["=", "="], ["<", "<"], ["<=", "<="], [">", ">"], [">=", ">="], ["between", "between"], ["begins_with", "begins with"]];
    let rendered = null;
    function syncKeys() {
      if (rendered !== qidx.value) {
        rendered = qidx.value;
        const { hash, range } = keyParts(qidx.value);
        const box = $("qb-keyfields");
        box.textContent = "";
        hash.forEach((k, i) => box.append(el("div", { class: "field" },
          el("label", { for: "qb-pk" + suffix(i) }, "Partition key " + k.AttributeName),
          el("input", { id: "qb-pk" + suffix(i), autocomplete: "off", "aria-describedby": "qb-pk-type" + suffix(i) }),
          el("span", { class: "hint", id: "qb-pk-type" + suffix(i) }, "type " + attrType[k.AttributeName]))));
        range.forEach((k, i) => box.append(
          el("div", { class: "field" }, el("label", { for: "qb-skop" + suffix(i) }, "Sort key " + k.AttributeName + " (" + attrType[k.AttributeName] + ")"),
            el("select", { id: "qb-skop" + suffix(i) }, ops.map(([v, t]) => el("option", { value: v }, t)))),
          el("div", { class: "field" }, el("label", { for: "qb-sk1" + suffix(i) }, k.AttributeName + " value"), el("input", { id: "qb-sk1" + suffix(i), autocomplete: "off" })),
          el("div", { class: "field" }, el("label", { for: "qb-sk2" + suffix(i) }, "and (between)"), el("input", { id: "qb-sk2" + suffix(i), autocomplete: "off" }))));
        if (!range.length) box.append(el("p", { class: "hint" }, "No sort key."));
      }
      $("qb-keys").disabled = mode.value === "Scan";
      $("qb-desc").disabled = mode.value === "Scan";
      cli();
    }
    function buildRequest() {
      const req = { TableName: name, IndexName: qidx.value || undefined };
      const names = parseJSON($("qb-names").value, "Expression attribute names") || {};
      const values = parseJSON($("qb-values").value, "Expression attribute values") || {};
      if (mode.value === "Query") {
        const { hash, range } = keyParts(qidx.value);
        const conds = [];
        hash.forEach((k, i) => {
          const n = "#pk" + (i || ""), v = ":pk" + (i || "");
          names[n] = k.AttributeName;
          values[v] = keyValue(attrType[k.AttributeName], $("qb-pk" + suffix(i)).value);
          conds.push(n + " = " + v);
        });
        for (let i = 0; i < range.length; i++) {
          const op = $("qb-skop" + suffix(i)).value;
          if (!op) break;
          const k = range[i], ty = attrType[k.AttributeName];
          const n = "#sk" + (i || ""), v1 = i ? ":sk" + i + "a" : ":sk1", v2 = i ? ":sk" + i + "b" : ":sk2";
          names[n] = k.AttributeName;
          values[v1] = keyValue(ty, $("qb-sk1" + suffix(i)).value);
          if (op === "between") { values[v2] = keyValue(ty, $("qb-sk2" + suffix(i)).value); conds.push(n + " BETWEEN " + v1 + " AND " + v2); }
          else if (op === "begins_with") conds.push("begins_with(" + n + ", " + v1 + ")");
          else conds.push(n + " " + op + " " + v1);
        }
        req.KeyConditionExpression = conds.join(" AND ");
      }
      if ($("qb-filter").value.trim()) req.FilterExpression = $("qb-filter").value.trim();
      if ($("qb-proj").value.trim()) req.ProjectionExpression = $("qb-proj").value.trim();
      if (Object.keys(names).length) req.ExpressionAttributeNames = names;
      if (Object.keys(values).length) req.ExpressionAttributeValues = values;
      if ($("qb-limit").value) req.Limit = Number($("qb-limit").value);
      if ($("qb-consistent").checked) req.ConsistentRead = true;
      if (mode.value === "Query" && $("qb-desc").checked) req.ScanIndexForward = false;
      return req;
    }
    function cli() {
      try {
        $("qb-cli").textContent = cliCommand("dynamodb", mode.value, buildRequest());
        showError("qb-error", null);
      } catch (e) { $("qb-cli").textContent = ""; showError("qb-error", e); }
    }
    $("qb").addEventListener("input", cli);
    $("qb").addEventListener("change", syncKeys);
    $("qb-copy").addEventListener("click", () => { navigator.clipboard && navigator.clipboard.writeText($("qb-cli").textContent); say("Command copied."); });
    $("qb").addEventListener("submit", (ev) => {
      ev.preventDefault();
      let req;
      try { req = buildRequest(); } catch (e) { showError("qb-error", e); return; }
      cli();
      const show = pager($("qb-results"), async (start) => {
        const r = await call(mode.value, Object.assign({}, req, { ExclusiveStartKey: start }));
        return { items: r.Items || [], last: r.LastEvaluatedKey, scanned: r.ScannedCount };
      }, { table: name, keys: linkKeys(qidx.value), name: name + "-" + mode.value.toLowerCase() });
      show(0, "qb-error");
    });
    syncKeys();

    // Schema and settings
    const sc = $("schema");
    const dl = (pairs) => el("dl", { class: "kv" }, pairs.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    const ksText = (ks) => ks.map((k) => k.AttributeName + " (" + (attrType[k.AttributeName] || "?") + ", " + (k.KeyType === "HASH" ? "partition" : "sort") + ")").join(", ");
    const billing = t.BillingModeSummary ? t.BillingModeSummary.BillingMode : "PROVISIONED";
    sc.append(el("h2", {}, "Schema"), dl([
      ["Status", t.TableStatus], ["ARN", t.TableArn], ["Key", ksText(t.KeySchema)],
      ["Items (approximate)", String(t.ItemCount)], ["Size", fmtBytes(t.TableSizeBytes)],
      ["Billing mode", billing],
      ["Provisioned throughput", t.ProvisionedThroughput ? t.ProvisionedThroughput.ReadCapacityUnits + " read / " + t.ProvisionedThroughput.WriteCapacityUnits + " write" : "—"],
      ["Stream", t.StreamSpecification && t.StreamSpecification.StreamEnabled ? t.StreamSpecification.StreamViewType + " (" + t.LatestStreamArn + ")" : "off"],
      ["Deletion protection", t.DeletionProtectionEnabled ? "on" : "off"],
      ["Created", t.CreationDateTime ? new Date(t.CreationDateTime * 1000).toISOString() : "—"],
    ]));
    if (indexes.length) {
      sc.append(el("h3", {}, "Indexes"), el("div", { class: "scroll" }, el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["Name", "Kind", "Key", "Projection", "Status"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, [...(t.GlobalSecondaryIndexes || []).map((i) => ["GSI", i]), ...(t.LocalSecondaryIndexes || []).map((i) => ["LSI", i])].map(([k, i]) =>
          el("tr", {}, el("td", {}, i.IndexName), el("td", {}, k), el("td", {}, ksText(i.KeySchema)), el("td", {}, i.Projection ? i.Projection.ProjectionType : ""), el("td", {}, i.IndexStatus || "ACTIVE")))))));
    }
    sc.append(el("details", {}, el("summary", {}, "DescribeTable answer"), el("pre", {}, JSON.stringify(t, null, 2))));
    if (t.StreamSpecification && t.StreamSpecification.StreamEnabled) sc.append(el("p", {}, el("a", { href: "/console/streams?table=" + encodeURIComponent(name) }, "Tail this table's stream")));
    sc.append(el("p", {}, el("a", { href: "/console/partiql?table=" + encodeURIComponent(name) }, "Open in the PartiQL editor")));

    $("update-table").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("ut-error", null);
      const req = { TableName: name };
      if ($("ut-billing").value) req.BillingMode = $("ut-billing").value;
      if ($("ut-rcu").value || $("ut-wcu").value) req.ProvisionedThroughput = { ReadCapacityUnits: Number($("ut-rcu").value), WriteCapacityUnits: Number($("ut-wcu").value) };
      const s = $("ut-stream").value;
      if (s === "off") req.StreamSpecification = { StreamEnabled: false };
      else if (s) req.StreamSpecification = { StreamEnabled: true, StreamViewType: s };
      try {
        Object.assign(req, parseJSON($("ut-extra").value, "More UpdateTable parameters") || {});
        await call("UpdateTable", req);
        say("Table updated.");
        location.hash = "schema";
        location.reload();
      } catch (e) { showError("ut-error", e); }
    });
    call("DescribeTimeToLive", { TableName: name }).then((r) => {
      const d = r.TimeToLiveDescription || {};
      $("ttl-attr").value = d.AttributeName || "";
      $("ttl-on").checked = d.TimeToLiveStatus === "ENABLED";
    }).catch(() => {});
    $("ttl-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("ttl-error", null);
      try {
        await call("UpdateTimeToLive", { TableName: name, TimeToLiveSpecification: { AttributeName: $("ttl-attr").value.trim(), Enabled: $("ttl-on").checked } });
        say("Time to Live saved.");
      } catch (e) { showError("ttl-error", e); }
    });
    $("delete-table").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("dt-error", null);
      if ($("dt-confirm").value !== name) { showError("dt-error", { message: "Type the table name, " + name + ", to confirm." }); $("dt-confirm").focus(); return; }
      try {
        await call("DeleteTable", { TableName: name });
        location.href = "/console";
      } catch (e) { showError("dt-error", e); }
    });
  }

  // ---- Item page ----------------------------------------------------------------
  async function itemPage() {
    const h = $("item-h"), table = h.dataset.table;
    let key = h.dataset.key ? JSON.parse(h.dataset.key) : null;
    const ta = $("item-json");
    let t, item = {};
    const fmt = () => (document.querySelector('input[name="fmt"]:checked').value);
    function hints() {
      const types = Object.entries(item).map(([k, v]) => k + ": " + typeOf(v)).join(" · ");
      const lossy = Object.values(item).some(function deep(v) {
        const ty = typeOf(v);
        return ["SS", "NS", "BS", "B"].includes(ty) || (ty === "N" && typeof toPlain(v) !== "number") || (ty === "L" && v.L.some(deep)) || (ty === "M" && Object.values(v.M).some(deep));
      });
      $("item-hints").textContent = fmt() === "plain"
        ? "Plain JSON: strings are S, numbers N, true/false BOOL, null NULL, arrays L, objects M." + (lossy ? " This item has sets, binaries or numbers a JavaScript number cannot hold exactly, which plain JSON turns into lists and strings: edit it as DynamoDB JSON to keep their types." : "") + (types ? " Now: " + types : "")
        : "DynamoDB JSON: every value is {\"TYPE\": value}, TYPE one of S N B BOOL NULL L M SS NS BS." + (types ? " Now: " + types : "");
    }
    function render() {
      ta.value = JSON.stringify(fmt() === "plain" ? itemToPlain(item) : item, null, 2);
      hints();
    }
    function read() {
      const v = parseJSON(ta.value, "The item");
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new APIError("InvalidJSON", "The item must be a JSON object.");
      return fmt() === "plain" ? itemFromPlain(v) : v;
    }
    for (const r of document.querySelectorAll('input[name="fmt"]')) {
      r.addEventListener("change", () => {
        // Convert what is in the box now, if it parses in the old format.
        const was = r.value === "plain" ? "ddb" : "plain";
        try {
          const v = parseJSON(ta.value, "The item") || {};
          item = was === "plain" ? itemFromPlain(v) : v;
          showError("item-error", null);
        } catch (e) { showError("item-error", e); }
        render();
      });
    }
    ta.addEventListener("input", () => { try { item = read(); hints(); } catch (e) { /* shown on save */ } });
    try {
      t = (await call("DescribeTable", { TableName: table })).Table;
      if (key) {
        const r = await call("GetItem", { TableName: table, Key: key, ConsistentRead: true });
        if (!r.Item) throw new APIError("NotFound", "No item has this key (it may have been deleted).");
        item = r.Item;
      } else {
        item = Object.fromEntries(t.KeySchema.map((k) => {
          const ty = (t.AttributeDefinitions.find((a) => a.AttributeName === k.AttributeName) || {}).AttributeType || "S";
          return [k.AttributeName, { [ty]: ty === "N" ? "0" : "" }];
        }));
      }
    } catch (e) { showError("item-error", e); }
    render();
    const keyNames = t ? t.KeySchema.map((k) => k.AttributeName) : [];
    $("item-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("item-error", null);
      ta.removeAttribute("aria-invalid");
      try {
        const it = read();
        const newKey = Object.fromEntries(keyNames.filter((k) => it[k]).map((k) => [k, it[k]]));
        const moved = key && JSON.stringify(newKey) !== JSON.stringify(key);
        if (!key || moved) {
          // A new key must not overwrite an item silently.
          const put = { TableName: table, Item: it, ConditionExpression: keyNames.map((_, i) => "attribute_not_exists(#k" + i + ")").join(" AND "),
            ExpressionAttributeNames: Object.fromEntries(keyNames.map((k, i) => ["#k" + i, k])) };
          if (moved) await call("TransactWriteItems", { TransactItems: [{ Put: put }, { Delete: { TableName: table, Key: key } }] });
          else await call("PutItem", put);
        } else {
          await call("PutItem", { TableName: table, Item: it });
        }
        item = it;
        key = newKey;
        say("Item saved.");
        history.replaceState(null, "", itemURL(table, key));
        h.textContent = "Edit item";
        $("item-delete").hidden = false;
        const ok = $("item-error");
        ok.hidden = false;
        ok.className = "ok";
        ok.textContent = "Saved.";
      } catch (e) {
        $("item-error").className = "error";
        if (e.type === "ConditionalCheckFailedException" || e.type === "TransactionCanceledException") e.message += " (an item with this key exists already)";
        showError("item-error", e);
        ta.setAttribute("aria-invalid", "true");
      }
    });
    $("item-delete").addEventListener("click", async () => {
      try {
        await call("DeleteItem", { TableName: table, Key: key });
        location.href = tableURL(table);
      } catch (e) { showError("item-error", e); }
    });
  }

  // ---- PartiQL page ---------------------------------------------------------
  function partiqlPage() {
    const stmt = $("pq-stmt");
    function req() {
      const r = { Statement: stmt.value };
      const p = parseJSON($("pq-params").value, "Parameters");
      if (p) r.Parameters = p;
      if ($("pq-consistent").checked) r.ConsistentRead = true;
      return r;
    }
    function cli() { try { $("pq-cli").textContent = cliCommand("dynamodb", "ExecuteStatement", req()); } catch (e) { $("pq-cli").textContent = ""; } }
    $("pq").addEventListener("input", cli);
    stmt.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("pq").requestSubmit(); } });
    $("pq").addEventListener("submit", (ev) => {
      ev.preventDefault();
      let r;
      try { r = req(); } catch (e) { showError("pq-error", e); return; }
      const tokens = [undefined];
      async function show(i) {
        try {
          showError("pq-error", null);
          const out = await call("ExecuteStatement", Object.assign({}, r, { NextToken: tokens[i] }));
          if (out.NextToken) tokens[i + 1] = out.NextToken;
          renderResults($("pq-results"), out.Items || [], { page: i + 1, name: "partiql",
            onPrev: i > 0 ? () => show(i - 1) : null, onNext: out.NextToken ? () => show(i + 1) : null });
        } catch (e) { showError("pq-error", e); }
      }
      show(0);
    });
    cli();
  }

  // ---- Credentials page -------------------------------------------------------
  function settingsPage() {
    const c = creds();
    if (c && !c.placeholder) { $("cr-akid").value = c.accessKeyId; $("cr-region").value = c.region; }
    $("creds").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showError("cr-error", null);
      const n = { accessKeyId: $("cr-akid").value.trim(), secretAccessKey: $("cr-secret").value, sessionToken: $("cr-token").value.trim() || undefined, region: $("cr-region").value.trim() || body.dataset.region };
      if (!n.accessKeyId || !n.secretAccessKey) { showError("cr-error", { message: "Enter an access key ID and its secret." }); return; }
      const old = sessionStorage.getItem(CREDS_KEY);
      sessionStorage.setItem(CREDS_KEY, JSON.stringify(n));
      try {
        await call("ListTables", { Limit: 1 });
      } catch (e) {
        if (["UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException"].includes(e.type)) {
          if (old) sessionStorage.setItem(CREDS_KEY, old); else sessionStorage.removeItem(CREDS_KEY);
          showError("cr-error", e);
          return;
        }
        // AccessDenied on ListTables: the key is valid but limited.
      }
      showWho();
      $("cr-ok").textContent = "Signed as " + n.accessKeyId + ".";
      const next = new URLSearchParams(location.search).get("next");
      if (next && next.startsWith("/console")) location.href = next;
    });
    $("cr-forget").addEventListener("click", () => { sessionStorage.removeItem(CREDS_KEY); showWho(); $("cr-ok").textContent = "Forgotten."; });
  }

  const pages = { tables: tablesPage, table: tablePage, item: itemPage, partiql: partiqlPage, settings: settingsPage };
  window.Console = { call, streams, toPlain, fromPlain, toCSV, cliCommand, el, showError, say, renderResults, creds, APIError };
  document.addEventListener("DOMContentLoaded", () => {
    showWho();
    if (AUTH === "sigv4" && !creds() && PAGE !== "settings" && pages[PAGE]) {
      location.href = "/console/settings?next=" + encodeURIComponent(location.pathname + location.search + location.hash);
      return;
    }
    const f = pages[PAGE] || (window.ConsolePages && window.ConsolePages[PAGE]);
    if (f) Promise.resolve(f()).catch((e) => console.error(e));
  });
})();
