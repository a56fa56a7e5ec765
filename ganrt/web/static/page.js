// ganrt serve: the page. Frames arrive on a WebSocket as [24-byte header | PNG or JPEG]; each is
// drawn on the canvas, then acknowledged (the server keeps at most 2 in flight per page). Keys and
// buttons send the window's action names; the HUD lines come from the server (the same words as
// the window's), plus what this page measures: frames drawn per second and produced -> drawn latency.
"use strict";

const FORMATS = ["image/png", "image/jpeg"];
const canvas = document.getElementById("frame");
const ctx = canvas.getContext("2d", { alpha: false });
const hud = document.getElementById("hud");
const notice = document.getElementById("notice");
const measured = document.getElementById("measured");
const seedInput = document.getElementById("seed");
const truncationInput = document.getElementById("truncation");  // StyleGAN's psi slider
const truncationValue = document.getElementById("truncation-value");
const classInput = document.getElementById("class-index");  // class-conditional models
const timeInput = document.getElementById("time");  // StyleGAN-V: jump to a frame time
const SEND_EVERY_MS = 100;  // a dragged slider sends at most 10 values a second (the server takes 20 messages)
let truncationSentAt = 0, truncationTimer = null, truncationTouchedAt = -Infinity, classEditing = false;
let ws = null, hello = null, state = null, clockOffset = 0, smooth = false, stopped = false;
let newest = 0;  // sequence of the newest frame drawn on this connection
const drawnAt = [], latencies = [];  // the last second's draw times and latencies (ms)
// What tests and benchmarks read; `keep` (set it to []) collects [produced, drawn, seed, index] per frame.
const page = window.ganrt = { drawn: 0, last: null, errors: [], captures: [], connected: false, keep: null,
                              seedChanges: [], keyAt: null };

history.replaceState(null, "", "/");  // the token now lives in an HttpOnly cookie, not the address bar

function now() { return performance.timeOrigin + performance.now(); }

function connect() {
  ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.binaryType = "arraybuffer";
  ws.onopen = () => { page.connected = true; say(""); };
  ws.onmessage = (event) => typeof event.data === "string" ? onText(JSON.parse(event.data)) : onFrame(event.data);
  ws.onclose = () => { page.connected = false; if (!stopped) diagnose(); };
}

function onText(message) {
  if (message.type === "hello") {
    hello = message;
    newest = 0;
    const offset = message.server_ms - now();  // clocks of one machine (or NTP-synced ones) agree: keep 0
    clockOffset = Math.abs(offset) > 1000 ? offset : 0;
    // the slider and the class selector only where the model has psi / classes
    document.getElementById("truncation-control").hidden = !message.truncation;
    document.getElementById("class-control").hidden = !message.classes;
    document.getElementById("timed-control").hidden = !message.timed;  // motion seed, freeze, jump in time
    classInput.max = Math.max(0, message.classes - 1);
  } else if (message.type === "state") {
    state = message;
    showState();
  } else if (message.type === "capture") {
    page.captures.push(message);
    if (message.name) offer(message);
  } else if (message.type === "error") {
    page.errors.push(message.message);
    say(message.message, 4000);
  }
}

async function onFrame(buffer) {
  const view = new DataView(buffer);
  const header = {
    version: view.getUint8(0), format: view.getUint8(1), streams: view.getUint16(2, true),
    seed: view.getUint32(4, true), index: view.getUint32(8, true), sequence: view.getUint32(12, true),
    produced: view.getFloat64(16, true),
  };
  try {
    if (header.version !== hello.version) {  // a page cached from another ganrt
      say("This page does not match the server's version: reload it.");
      return;
    }
    const blob = new Blob([new Uint8Array(buffer, hello.header_bytes)], { type: FORMATS[header.format] });
    const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    if (header.sequence < newest) {  // decoded after a newer frame: never draw backwards
      bitmap.close();
      return;
    }
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      fit();
    }
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    newest = header.sequence;
    const drawn = now();
    if (page.keyAt !== null && page.last && header.seed !== page.last.seed) {  // a key's seed change, on screen
      page.seedChanges.push(drawn - page.keyAt);
      page.keyAt = null;
    }
    if (page.keep) page.keep.push([header.produced, drawn + clockOffset, header.seed, header.index]);
    page.drawn += 1;
    page.last = header;
    drawnAt.push(drawn);
    latencies.push(drawn + clockOffset - header.produced);
  } finally {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ ack: header.sequence }));
  }
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

function act(action) {
  if (action === "fullscreen") {
    document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
  } else if (action === "hud") {
    hud.hidden = !hud.hidden;
  } else if (action === "smooth") {
    smooth = !smooth;
    canvas.classList.toggle("smooth", smooth);
    document.getElementById("smooth").textContent = smooth ? "smooth" : "crisp";
    fit();
  } else if (hello && hello.actions.includes(action)) {
    send({ action });
  }
}

function keyLabel(event) {
  if (event.key === " ") return "Space";
  if (event.key === "Escape") return "Esc";
  if (event.key === "=" || event.key === "+") return "+";
  return event.key.length === 1 ? event.key.toUpperCase() : event.key;
}

document.addEventListener("keydown", (event) => {
  if (event.target.type === "number" || event.ctrlKey || event.metaKey || event.altKey || !hello) return;
  const action = hello.keys[keyLabel(event)];
  if (action) {
    event.preventDefault();
    if (action === "next_seed" || action === "previous_seed") page.keyAt = now();
    act(action);
  }
});
document.querySelectorAll("#bar button").forEach((button) =>
  button.addEventListener("click", () => act(button.dataset.action || button.dataset.local)));
seedInput.addEventListener("change", () => {
  const seed = Number(seedInput.value);
  if (Number.isInteger(seed) && seed >= 0) send({ set: "seed", value: seed });
});

// The psi slider (mouse or arrow keys): its value at once on the page, to the server at most every
// SEND_EVERY_MS (the last value always goes: a timer sends whatever the slider holds when it fires).
function sendTruncation() {
  clearTimeout(truncationTimer);
  truncationTimer = null;
  truncationSentAt = now();
  send({ set: "truncation", value: Number(truncationInput.value) });
}
truncationInput.addEventListener("input", () => {
  truncationTouchedAt = now();
  truncationValue.textContent = Number(truncationInput.value).toFixed(2);
  const wait = truncationSentAt + SEND_EVERY_MS - now();
  if (wait <= 0) sendTruncation();
  else if (!truncationTimer) truncationTimer = setTimeout(sendTruncation, wait);
});
timeInput.addEventListener("change", () => {  // Enter or leaving the field: the server checks the range
  const t = Number(timeInput.value);
  if (timeInput.value !== "" && Number.isFinite(t)) send({ set: "time", value: t });
  timeInput.value = "";
});
classInput.addEventListener("input", () => { classEditing = true; });
classInput.addEventListener("blur", () => { classEditing = false; });
classInput.addEventListener("change", () => {  // Enter, the arrows, or leaving the field
  classEditing = false;
  const index = Number(classInput.value);
  if (Number.isInteger(index) && index >= 0) send({ set: "class_index", value: index });  // the server checks the top
});

// Crisp: the largest whole-number scale that fits (at least 1x); smooth: fill the stage, aspect kept.
function fit() {
  const stage = document.getElementById("stage");
  const fill = Math.min(stage.clientWidth / canvas.width, stage.clientHeight / canvas.height);
  const scale = !smooth && fill >= 1 ? Math.floor(fill) : fill;
  canvas.style.width = `${Math.round(canvas.width * scale)}px`;
  canvas.style.height = `${Math.round(canvas.height * scale)}px`;
}
window.addEventListener("resize", fit);

function showState() {
  hud.textContent = state.hud.join("\n") + (state.error ? `\n${state.error}` : "");
  document.getElementById("summary").textContent = state.summary;
  document.getElementById("speed").textContent = `${state.speed}x`;
  document.getElementById("pause").classList.toggle("on", state.paused);
  document.getElementById("record").classList.toggle("on", state.recording);
  document.getElementById("record").textContent = state.recording ? "stop recording" : "record";
  if (document.activeElement !== seedInput) seedInput.value = state.seed;
  // another viewer's change, or T/G/C: shown, unless this page's user is moving / typing it now
  if (state.truncation !== null && now() - truncationTouchedAt > 1000) {
    truncationInput.value = state.truncation;
    truncationValue.textContent = state.truncation.toFixed(2);
  }
  if (state.class_index !== null && !classEditing) classInput.value = state.class_index;
  if (state.motion_seed !== null) {
    document.getElementById("motion-seed").textContent = state.motion_seed;
    document.getElementById("freeze").classList.toggle("on", state.frozen);
  }
}

// What this page measures, over the last second: frames drawn per second and produced -> drawn latency.
function measure() {
  const since = now() - 1000;
  while (drawnAt.length && drawnAt[0] < since) { drawnAt.shift(); latencies.shift(); }
  const sorted = [...latencies].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
  page.fps = drawnAt.length;
  page.latencyMs = median;
  measured.textContent = `drawn ${drawnAt.length} fps | latency ${isNaN(median) ? "-" : median.toFixed(1)} ms` +
    (state ? ` | skipped ${state.skipped}` : "");
}
setInterval(measure, 250);

function offer(capture) {
  // built from the file's name, never a URL the socket sent: the link stays on this server's /captures/
  const link = document.getElementById("download");
  link.href = "/captures/" + encodeURIComponent(capture.name);
  link.download = capture.name;
  link.click();
  say(`wrote ${capture.name} on the server (downloading)`, 3000);
}

let sayTimer = null;
function say(text, forMs) {
  notice.textContent = text;
  notice.hidden = !text;
  clearTimeout(sayTimer);
  if (forMs) sayTimer = setTimeout(() => { notice.hidden = true; }, forMs);
}

// A closed socket: down (retry), full (retry slowly) or this page's token refused (a restarted
// server has a new one: say so and stop, instead of retrying into 403s forever).
async function diagnose() {
  let retryMs = 1000;
  try {
    const response = await fetch("/status", { cache: "no-store", credentials: "same-origin" });
    if (response.status === 403) {
      stopped = true;
      say("This server no longer knows this page's token (it was restarted): open the new URL that " +
          "`ganrt serve` printed.");
      return;
    }
    const status = await response.json();
    if (status.viewers >= status.max_viewers) {
      say(`The server is full (${status.viewers} of ${status.max_viewers} viewers): waiting for a place.`);
      retryMs = 3000;
    } else {
      retryMs = 200;
    }
  } catch (error) {
    say("The server does not answer: reconnecting...");
  }
  setTimeout(connect, retryMs);
}

page.snapshot = () => ({
  header: page.last, width: canvas.width, height: canvas.height,
  pixels: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data),
});
connect();
