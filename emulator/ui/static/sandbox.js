// The sandbox page: loads its parts from /_emulator/parts, follows GET /_emulator/events to refresh
// them, and sends what the person does to the control API as JSON. No framework, no build step.
"use strict";
(() => {
  const TOKEN_KEY = "twilio-emulator-control-token";
  const REFRESH_DELAY_MS = 25; // coalesces a burst of events into one fetch
  // A link with the token (/_emulator/?token=…) hands it over once: kept for the tab, then taken
  // out of the address bar (and so out of the history and of anything copied from there).
  const linked = new URL(location.href);
  if (linked.searchParams.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, linked.searchParams.get("token"));
    linked.searchParams.delete("token");
    history.replaceState(null, "", linked.pathname + linked.search + linked.hash);
  }
  let token = sessionStorage.getItem(TOKEN_KEY);
  let asking = null;
  let source = null;
  const body = document.body;
  const refreshOn = (body.dataset.refreshOn || "").split(" ").filter(Boolean);
  const parts = [...document.querySelectorAll("[data-part]")];
  const liveStatus = document.getElementById("live-status");
  const flash = document.getElementById("flash");

  // -- the control token (--control-token): asked once, kept for this tab -----------------------
  function askToken(refused) {
    if (asking) return asking;
    const dialog = document.getElementById("token-dialog");
    const form = document.getElementById("token-form");
    const input = document.getElementById("token-input");
    document.getElementById("token-error").textContent = refused ? "The emulator refused that token." : "";
    asking = new Promise((resolve) => {
      form.addEventListener("submit", () => {
        asking = null;
        token = input.value.trim();
        sessionStorage.setItem(TOKEN_KEY, token);
        resolve(token);
        connect();
      }, { once: true });
    });
    dialog.showModal();
    input.focus();
    return asking;
  }

  async function api(method, url, payload, accept = "application/json") {
    for (;;) {
      const headers = { Accept: accept };
      if (token) headers.Authorization = `Bearer ${token}`;
      const init = { method, headers };
      if (payload !== undefined) {
        headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(payload);
      }
      const response = await fetch(url, init);
      if (response.status !== 401) return response;
      await askToken(Boolean(token));
    }
  }

  async function describe(response) {
    const text = await response.text();
    let data = null;
    try { data = JSON.parse(text); } catch { return response.ok ? "Done." : `Error ${response.status}: ${text}`; }
    if (!response.ok) return `Refused: ${data.error || data.message || text}`;
    if (data && data.auto_replies) {
      const replies = data.auto_replies.map((r) => `“${r.body}”`).join(" ");
      const kind = data.opt_out_type ? ` (${data.opt_out_type})` : "";
      return `Sent${kind}.` + (replies ? ` Twilio answered ${replies}` : "");
    }
    return "Done.";
  }

  function say(element, text, ok) {
    if (!element) return;
    element.textContent = text;
    element.classList.toggle("error", !ok);
  }

  // -- parts ----------------------------------------------------------------------------------------
  function partUrl(part) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(JSON.parse(part.dataset.params || "{}"))) {
      if (value !== "" && value !== null) params.set(key, value);
    }
    const query = params.toString();
    return part.dataset.part + (query ? `?${query}` : "");
  }

  function openDetails(part) {
    return new Set([...part.querySelectorAll("details[open]")].map((d) => detailsKey(d)));
  }

  function detailsKey(details) {
    const owner = details.closest("[id]");
    return `${owner ? owner.id : ""}|${details.querySelector("summary")?.textContent}`;
  }

  async function load(part) {
    if (part.loading) { part.again = true; return; }
    part.loading = true;
    part.setAttribute("aria-busy", "true");
    const first = !part.dataset.loads;
    const atBottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 60;
    try {
      const response = await api("GET", partUrl(part), undefined, "text/html");
      const html = await response.text();
      if (!response.ok) throw new Error(`${response.status} ${html.slice(0, 200)}`);
      const open = openDetails(part);
      part.innerHTML = html;
      part.querySelectorAll("details").forEach((d) => { if (open.has(detailsKey(d))) d.open = true; });
      part.dataset.loads = String(Number(part.dataset.loads || 0) + 1);
      fillReplyTo(part);
      if (first && location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
      else if (part.hasAttribute("data-stick-to-bottom") && (first || atBottom)) window.scrollTo(0, document.documentElement.scrollHeight);
    } catch (error) {
      part.innerHTML = "";
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = `Could not load this part: ${error.message}`;
      part.append(p);
    } finally {
      part.loading = false;
      part.removeAttribute("aria-busy");
      if (part.again) { part.again = false; load(part); }
    }
  }

  let timer = null;
  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(() => parts.forEach(load), REFRESH_DELAY_MS);
  }

  function fillReplyTo(part) {
    const select = document.querySelector("select[data-reply-to]");
    const list = part.querySelector("[data-reply-to]");
    if (!select || !list) return;
    const numbers = list.dataset.replyTo.split(",").filter(Boolean);
    const chosen = select.value;
    select.replaceChildren(...numbers.map((n) => new Option(n, n)));
    if (numbers.includes(chosen)) select.value = chosen;
    else if (numbers.length) select.value = numbers[numbers.length - 1];
  }

  // -- live: GET /_emulator/events ---------------------------------------------------------------
  function connect() {
    if (source) source.close();
    // EventSource cannot send headers: the token goes in the query.
    source = new EventSource(`/_emulator/events${token ? `?token=${encodeURIComponent(token)}` : ""}`);
    let dropped = false;
    source.addEventListener("open", () => {
      liveStatus.textContent = "live";
      liveStatus.className = "live on";
      if (dropped) refreshSoon(); // events may have been missed while away
    });
    source.addEventListener("error", () => {
      dropped = true;
      liveStatus.textContent = "reconnecting…";
      liveStatus.className = "live off";
      // A refused stream (a missing or wrong token) is closed for good: ask, then reconnect.
      if (source.readyState === EventSource.CLOSED) {
        api("GET", "/_emulator/clock").then(connect, () => setTimeout(connect, 2000));
      }
    });
    for (const name of [...refreshOn, "resync"]) source.addEventListener(name, refreshSoon);
  }

  // -- what the person does -------------------------------------------------------------------------
  function formPayload(form, submitter) {
    const payload = {};
    for (const field of form.elements) {
      if (!field.name || field.type === "submit" || field.tagName === "BUTTON") continue;
      if (field.type === "checkbox") { payload[field.name] = field.checked; continue; }
      const value = field.value;
      if (field.hasAttribute("data-optional") && value.trim() === "") continue;
      switch (field.dataset.type) {
        case "number": payload[field.name] = Number(value); break;
        case "list": payload[field.name] = value.split(",").map((w) => w.trim()).filter(Boolean); break;
        case "json": payload[field.name] = JSON.parse(value || "null"); break;
        case "nullable": payload[field.name] = value === "" ? null : value; break;
        default: payload[field.name] = value;
      }
    }
    if (submitter && submitter.name) payload[submitter.name] = submitter.value;
    return payload;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-api]");
    if (!form) return;
    event.preventDefault();
    const output = form.querySelector("output");
    let payload;
    try { payload = formPayload(form, event.submitter); } catch (error) { say(output, `Not valid JSON: ${error.message}`, false); return; }
    const response = await api(form.dataset.method || "POST", form.dataset.api, payload);
    say(output, await describe(response), response.ok);
    if (response.ok) {
      for (const name of (form.dataset.clear || "").split(" ").filter(Boolean)) form.elements[name].value = "";
      refreshSoon();
    }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-api]");
    if (button && !button.form) {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      const payload = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
      const response = await api(button.dataset.method || "POST", button.dataset.api, payload);
      say(flash, await describe(response), response.ok);
      refreshSoon();
      return;
    }
    const exporter = event.target.closest("button[data-export]");
    if (exporter) {
      const output = document.getElementById("export-output");
      const response = await api("GET", exporter.dataset.export, undefined, "text/plain");
      output.textContent = await response.text();
      output.hidden = false;
      output.dataset.format = new URL(exporter.dataset.export, location.href).searchParams.get("format");
      document.getElementById("copy-export").hidden = !response.ok;
      return;
    }
    if (event.target.id === "copy-export") {
      await navigator.clipboard.writeText(document.getElementById("export-output").textContent);
      say(flash, "Copied.", true);
    }
  });

  const search = document.getElementById("q");
  if (search) {
    let typing = null;
    search.form.addEventListener("submit", (event) => event.preventDefault());
    search.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        const part = parts[0];
        part.dataset.params = JSON.stringify({ q: search.value.trim(), before: "" });
        history.replaceState(null, "", search.value.trim() ? `?q=${encodeURIComponent(search.value.trim())}` : location.pathname);
        load(part);
      }, 150);
    });
  }

  parts.forEach(load);
  connect();
})();
