// Live pages of the dynax console: polled HTML fragments (cache, metrics,
// cluster) and the streams tail. Polling stops while the page is hidden
// or paused, so the console's load stays bounded.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  // live polls the fragment of #live every data-every milliseconds.
  function live() {
    const box = $("live");
    const src = box.dataset.src, every = Number(box.dataset.every) || 2000;
    const pause = document.querySelector(".pause");
    let paused = false, timer = null, busy = false;
    async function tick() {
      timer = null;
      if (paused || document.hidden || busy) return schedule();
      busy = true;
      try {
        const r = await fetch(src, { cache: "no-store", credentials: "omit" });
        const html = await r.text();
        // Keep the focus and scroll position of what is replaced.
        const focusId = document.activeElement && document.activeElement.id;
        box.innerHTML = html;
        if (focusId && $(focusId)) $(focusId).focus();
        box.removeAttribute("aria-busy");
      } catch (e) {
        box.setAttribute("aria-busy", "true");
      } finally {
        busy = false;
      }
      schedule();
    }
    function schedule() { if (!timer) timer = setTimeout(tick, every); }
    pause.addEventListener("click", () => {
      paused = !paused;
      pause.setAttribute("aria-pressed", String(paused));
      pause.textContent = paused ? "Resume updates" : "Pause updates";
    });
    document.addEventListener("visibilitychange", () => { if (!document.hidden && !timer) tick(); });
    box.setAttribute("aria-busy", "true");
    tick();
  }

  // streams tails a table's stream through the DynamoDB Streams API.
  async function streams() {
    const C = window.Console, el = C.el;
    const sel = $("st-table"), list = $("tail"), state = $("st-state");
    const MAX = 200;
    let run = 0; // generation: Stop or a new Start ends the old loop
    try {
      const names = [];
      let start;
      do {
        const r = await C.call("ListTables", start ? { ExclusiveStartTableName: start } : {});
        names.push(...(r.TableNames || []));
        start = r.LastEvaluatedTableName;
      } while (start);
      sel.textContent = "";
      for (const n of names) sel.append(el("option", { value: n, selected: n === sel.dataset.want }, n));
      if (!names.length) sel.append(el("option", { value: "" }, "No tables"));
    } catch (e) { C.showError("st-error", e); }

    async function shards(arn) {
      const out = [];
      let start;
      do {
        const r = await C.streams("DescribeStream", { StreamArn: arn, ExclusiveStartShardId: start });
        out.push(...(r.StreamDescription.Shards || []));
        start = r.StreamDescription.LastEvaluatedShardId;
      } while (start);
      return out;
    }
    function show(rec) {
      const d = rec.dynamodb || {};
      const when = d.ApproximateCreationDateTime ? new Date(d.ApproximateCreationDateTime * 1000).toISOString() : "";
      const li = el("li", { class: "rec", "data-event": rec.eventName },
        el("span", { class: "ev" }, rec.eventName), el("code", {}, JSON.stringify(C.toPlain({ M: d.Keys || {} }))),
        " ", el("span", { class: "hint" }, when + " · " + (d.SequenceNumber || "")));
      const det = [];
      if (d.NewImage) det.push(el("p", {}, "New image: ", el("code", {}, JSON.stringify(C.toPlain({ M: d.NewImage })))));
      if (d.OldImage) det.push(el("p", {}, "Old image: ", el("code", {}, JSON.stringify(C.toPlain({ M: d.OldImage })))));
      if (det.length) li.append(el("details", {}, el("summary", {}, "Images"), det));
      list.prepend(li);
      while (list.children.length > MAX) list.lastChild.remove();
    }
    async function tail(gen, table, from) {
      const t = (await C.call("DescribeTable", { TableName: table })).Table;
      if (!t.LatestStreamArn || !(t.StreamSpecification && t.StreamSpecification.StreamEnabled)) {
        throw new C.APIError("NoStream", "Table " + table + " has no stream: enable one on its Schema and settings tab.");
      }
      const arn = t.LatestStreamArn;
      const iters = new Map(); // shard id → iterator
      const seen = new Set();
      async function discover(type) {
        for (const s of await shards(arn)) {
          if (seen.has(s.ShardId)) continue;
          const open = !(s.SequenceNumberRange && s.SequenceNumberRange.EndingSequenceNumber);
          if (type === "LATEST" && !open) { seen.add(s.ShardId); continue; }
          const r = await C.streams("GetShardIterator", { StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: type });
          seen.add(s.ShardId);
          iters.set(s.ShardId, r.ShardIterator);
        }
      }
      await discover(from);
      let count = 0;
      state.textContent = "Tailing " + table + " (" + iters.size + " shard" + (iters.size === 1 ? "" : "s") + ").";
      while (gen === run) {
        let closed = false;
        for (const [id, it] of Array.from(iters)) {
          if (gen !== run) return;
          const r = await C.streams("GetRecords", { ShardIterator: it, Limit: 100 });
          for (const rec of r.Records || []) { show(rec); count++; }
          if (r.NextShardIterator) iters.set(id, r.NextShardIterator);
          else { iters.delete(id); closed = true; }
        }
        if (closed || !iters.size) await discover("TRIM_HORIZON");
        state.textContent = "Tailing " + table + ": " + count + " record" + (count === 1 ? "" : "s") + " so far.";
        await new Promise((res) => setTimeout(res, document.hidden ? 5000 : 1000));
      }
    }
    $("st").addEventListener("submit", (ev) => {
      ev.preventDefault();
      C.showError("st-error", null);
      const gen = ++run;
      list.textContent = "";
      $("st-stop").disabled = false;
      tail(gen, sel.value, $("st-from").value).catch((e) => {
        if (gen !== run) return;
        C.showError("st-error", e);
        state.textContent = "Stopped.";
        $("st-stop").disabled = true;
      });
    });
    $("st-stop").addEventListener("click", () => { run++; state.textContent = "Stopped."; $("st-stop").disabled = true; $("st-start").focus(); });
    if (sel.dataset.want && sel.value === sel.dataset.want) $("st").requestSubmit();
  }

  window.ConsolePages = {
    cache: live, metrics: live, cluster: live, streams,
    hotkeys: () => { if ($("live")) live(); }, // polls once a table is chosen
  };
})();
