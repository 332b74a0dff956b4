// nahbar citizen pages: device check (browser, camera preview, microphone
// level, measured connection) and waiting room (Server-Sent Events until
// the advisor admits). Texts come from data-t-* attributes in the page's
// language; this file holds no words of its own.
'use strict';

(function () {
  const main = document.getElementById('main');
  if (!main) {
    return;
  }
  const token = main.dataset.token;
  const storeKey = 'nahbar-device-' + token;

  function t(root, key) {
    return root.dataset['t' + key.split('-').map((w) => w[0].toUpperCase() + w.slice(1)).join('')] || '';
  }

  function setResult(id, result, text) {
    const p = document.getElementById(id);
    if (p) {
      p.dataset.result = result;
      p.textContent = text;
    }
  }

  function browserInfo() {
    const ua = navigator.userAgent;
    const pick = (pairs) => {
      for (const [re, name] of pairs) {
        const m = ua.match(re);
        if (m) {
          return name + (m[1] ? ' ' + m[1] : '');
        }
      }
      return '';
    };
    return {
      browser: pick([[/Edg\/(\d+)/, 'Edge'], [/Firefox\/(\d+)/, 'Firefox'], [/Chrome\/(\d+)/, 'Chrome'], [/Version\/(\d+).*Safari/, 'Safari']]) || 'other',
      os: pick([[/Android (\d+)/, 'Android'], [/iPhone OS (\d+)/, 'iOS'], [/Windows NT ([\d.]+)/, 'Windows'], [/Mac OS X/, 'macOS'], [/Linux/, 'Linux']]) || 'other',
    };
  }

  // ---- device check ----

  async function runCheck(root) {
    const publishes = root.dataset.publishes === 'true';
    const status = document.getElementById('check-status');
    const report = Object.assign(browserInfo(), { camera: 'missing', microphone: 'missing', connection: '', check_passed: false });
    const supported = !!(window.RTCPeerConnection && window.WebSocket && window.EventSource &&
      navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
    setResult('browser-result', supported ? 'ok' : 'error', t(root, supported ? 'browser-ok' : 'browser-unsupported'));

    let stream = null;
    if (publishes && supported) {
      stream = await openDevices(root, report);
      checkStream = stream;
      const tc = document.getElementById('testcall');
      if (tc && stream) {
        tc.disabled = false;
      }
    } else if (!publishes) {
      report.camera = 'ok';
      report.microphone = 'ok';
    }
    const conn = await measureConnection(root);
    report.connection = conn.words;
    report.check_passed = supported && report.camera === 'ok' && report.microphone === 'ok' && conn.grade !== 'failed';
    try {
      sessionStorage.setItem(storeKey, JSON.stringify(report));
    } catch (e) { /* private mode: the waiting room reports nothing */ }
    root.dataset.done = 'true';
    if (report.check_passed) {
      status.textContent = t(root, 'all-ok');
    }
    window.addEventListener('pagehide', () => {
      if (stream) {
        stream.getTracks().forEach((tr) => tr.stop());
      }
    });
  }

  async function openDevices(root, report) {
    let stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { facingMode: 'user' } });
    } catch (err) {
      // Try each device alone: one missing camera must not hide a working microphone.
      const reason = (err && err.name) || '';
      report.camera = await probeOne({ video: true }, 'camera', root);
      report.microphone = await probeOne({ audio: true }, 'mic', root);
      if (reason === 'NotReadableError') {
        setResult('camera-result', 'error', t(root, 'camera-busy'));
      }
      return null;
    }
    report.camera = stream.getVideoTracks().length ? 'ok' : 'missing';
    report.microphone = stream.getAudioTracks().length ? 'ok' : 'missing';
    const preview = document.getElementById('preview');
    if (preview) {
      preview.srcObject = stream;
    }
    setResult('camera-result', report.camera === 'ok' ? 'ok' : 'error', t(root, report.camera === 'ok' ? 'camera-ok' : 'camera-missing'));
    setResult('mic-result', report.microphone === 'ok' ? 'ok' : 'error', t(root, report.microphone === 'ok' ? 'mic-ok' : 'mic-missing'));
    if (report.microphone === 'ok') {
      meter(stream);
    }
    return stream;
  }

  async function probeOne(constraints, kind, root) {
    const id = kind === 'camera' ? 'camera-result' : 'mic-result';
    try {
      const s = await navigator.mediaDevices.getUserMedia(constraints);
      s.getTracks().forEach((tr) => tr.stop());
      setResult(id, 'ok', t(root, kind + '-ok'));
      return 'ok';
    } catch (err) {
      const denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
      setResult(id, 'error', t(root, kind + (denied ? '-denied' : '-missing')));
      return denied ? 'denied' : 'missing';
    }
  }

  // The level meter: RMS of the microphone, 10 times a second.
  function meter(stream) {
    const el = document.getElementById('level');
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!el || !Ctx) {
      return;
    }
    const ctx = new Ctx();
    const src = ctx.createMediaStreamSource(stream);
    const an = ctx.createAnalyser();
    an.fftSize = 1024;
    src.connect(an);
    const buf = new Float32Array(an.fftSize);
    setInterval(() => {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (let i = 0; i < buf.length; i++) {
        sum += buf[i] * buf[i];
      }
      const rms = Math.sqrt(sum / buf.length);
      el.value = Math.min(100, Math.round(rms * 300));
    }, 100);
  }

  // The connection test: WebSocket round trips, then a timed download and
  // upload of 256 KiB each, against this server.
  async function measureConnection(root) {
    const base = '/i/' + token;
    try {
      const rtt = await pingRTT(base + '/ping');
      const kib = 256;
      let t0 = performance.now();
      const down = await fetch(base + '/probe?kib=' + kib, { cache: 'no-store' });
      if (!down.ok) {
        throw new Error('download ' + down.status);
      }
      await down.arrayBuffer();
      const downKbps = Math.round(kib * 8 * 1024 / (performance.now() - t0));
      const payload = new Uint8Array(kib * 1024);
      crypto.getRandomValues(payload.subarray(0, 65536));
      t0 = performance.now();
      const up = await fetch(base + '/probe', { method: 'POST', body: payload, cache: 'no-store' });
      if (!up.ok) {
        throw new Error('upload ' + up.status);
      }
      const upKbps = Math.round(kib * 8 * 1024 / (performance.now() - t0));
      let grade = 'poor';
      if (downKbps >= 1000 && upKbps >= 500 && rtt < 300) {
        grade = 'good';
      } else if (downKbps >= 300 && upKbps >= 150 && rtt < 800) {
        grade = 'fair';
      }
      const figures = t(root, 'conn-result').replace('{down}', downKbps).replace('{up}', upKbps).replace('{rtt}', rtt);
      document.getElementById('conn-figures').textContent = figures;
      setResult('conn-result', grade === 'good' ? 'ok' : 'warning', t(root, 'conn-' + grade));
      return { grade, words: grade + ' ' + (downKbps / 1000).toFixed(1) + '/' + (upKbps / 1000).toFixed(1) + ' Mbit/s ' + rtt + ' ms' };
    } catch (err) {
      console.warn('connection test', err);
      setResult('conn-result', 'error', t(root, 'conn-failed'));
      return { grade: 'failed', words: 'failed' };
    }
  }

  function pingRTT(path) {
    return new Promise((resolve, reject) => {
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(proto + '//' + location.host + path);
      const times = [];
      let sent = 0;
      const timer = setTimeout(() => { ws.close(); reject(new Error('ping timeout')); }, 10000);
      const next = () => { sent = performance.now(); ws.send('p'); };
      ws.onopen = next;
      ws.onerror = () => { clearTimeout(timer); reject(new Error('ping socket')); };
      ws.onmessage = () => {
        times.push(performance.now() - sent);
        if (times.length < 5) {
          next();
          return;
        }
        clearTimeout(timer);
        ws.close();
        times.sort((a, b) => a - b);
        resolve(Math.round(times[Math.floor(times.length / 2)]));
      };
    });
  }

  // ---- test call: the citizen's own camera and microphone, looped through the MCU ----

  let checkStream = null; // the device check's camera and microphone

  function runTestCall(box) {
    const start = document.getElementById('testcall');
    const stop = document.getElementById('testcall-stop');
    const video = document.getElementById('testcall-video');
    const status = document.getElementById('testcall-status');
    let call = null;
    const end = (result) => {
      if (call) {
        call.close();
        call = null;
      }
      video.srcObject = null;
      video.hidden = true;
      stop.hidden = true;
      start.hidden = false;
      start.disabled = !checkStream;
      if (result) {
        status.dataset.result = result === 'failed' ? 'error' : 'ok';
        status.textContent = t(box, result);
      }
    };
    start.addEventListener('click', async () => {
      if (!checkStream || call) {
        return;
      }
      start.disabled = true;
      status.dataset.result = 'pending';
      status.textContent = t(box, 'connecting');
      try {
        const r = await fetch('/i/' + token + '/testcall', { method: 'POST', cache: 'no-store' });
        if (!r.ok) {
          throw new Error('testcall ' + r.status);
        }
        const body = await r.json();
        let shown = false;
        call = loopCall(body.token, checkStream, video, () => {
          shown = true;
          status.dataset.result = 'ok';
          status.textContent = t(box, 'running');
        }, () => end('failed'));
        start.hidden = true;
        stop.hidden = false;
        stop.onclick = () => end(shown ? 'ok' : '');
      } catch (err) {
        console.warn('test call', err);
        end('failed');
      }
    });
    window.addEventListener('pagehide', () => end(''));
  }

  // loopCall joins with a selftest token and shows what comes back: a compact
  // client of docs/signalling.md (join, client offer, trickle ICE, leave).
  function loopCall(joinToken, stream, video, onMedia, onFail) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/ws');
    const pc = new RTCPeerConnection();
    const remote = new MediaStream();
    let closed = false;
    const send = (m) => {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(JSON.stringify(m));
      }
    };
    const close = () => {
      if (closed) {
        return;
      }
      closed = true;
      send({ type: 'leave' });
      ws.close();
      pc.close(); // the check's own tracks stay on for the preview
    };
    const fail = () => {
      if (!closed) {
        close();
        onFail();
      }
    };
    stream.getTracks().forEach((tr) => pc.addTrack(tr, stream));
    pc.ontrack = (ev) => {
      remote.addTrack(ev.track);
      if (ev.track.kind === 'video') {
        const shown = () => {
          video.hidden = false;
          onMedia();
        };
        if (ev.track.muted) {
          ev.track.onunmute = shown;
        } else {
          shown();
        }
      }
      video.srcObject = remote;
      video.play().catch(() => { /* autoplay refused; the controls are the page's */ });
    };
    pc.onicecandidate = (ev) => send({ type: 'candidate', candidate: ev.candidate ? ev.candidate.toJSON() : null });
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') {
        fail();
      }
    };
    ws.onopen = () => send({ type: 'join', v: 1, token: joinToken, client: { agent: navigator.userAgent } });
    ws.onclose = fail;
    const early = [];
    const addEarly = async () => {
      for (const c of early.splice(0)) {
        await pc.addIceCandidate(c);
      }
    };
    // One message at a time, in order.
    let queue = Promise.resolve();
    ws.onmessage = (ev) => {
      queue = queue.then(() => handle(ev.data));
    };
    const handle = async (data) => {
      try {
        const m = JSON.parse(data);
        switch (m.type) {
          case 'joined':
            await pc.setLocalDescription(await pc.createOffer());
            send({ type: 'offer', sdp: pc.localDescription.sdp });
            break;
          case 'answer':
            await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
            await addEarly();
            break;
          case 'offer':
            if (pc.signalingState !== 'stable') {
              break; // glare: the server offers again after answering ours
            }
            await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
            await addEarly();
            await pc.setLocalDescription(await pc.createAnswer());
            send({ type: 'answer', sdp: pc.localDescription.sdp });
            break;
          case 'candidate':
            if (m.candidate && m.candidate.candidate) {
              if (pc.remoteDescription) {
                await pc.addIceCandidate(m.candidate);
              } else {
                early.push(m.candidate); // the server may trickle before its answer arrives
              }
            }
            break;
          case 'bye':
            fail();
            break;
        }
      } catch (err) {
        console.warn('test call', err);
        fail();
      }
    };
    return { close };
  }

  // ---- waiting room ----

  function runWait(root) {
    const status = document.getElementById('wait-status');
    let report = null;
    try {
      report = JSON.parse(sessionStorage.getItem(storeKey) || 'null');
    } catch (e) { /* nothing stored */ }
    const es = new EventSource('/i/' + token + '/events');
    es.addEventListener('state', (ev) => {
      const state = JSON.parse(ev.data).state;
      status.dataset.state = state;
      root.dataset.state = state;
      if (state === 'waiting') {
        status.textContent = t(root, 'waiting');
        if (report) {
          fetch('/i/' + token + '/device', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(report) })
            .catch((e) => console.warn('device report', e));
          report = null;
        }
      } else if (state === 'admitted') {
        status.textContent = t(root, 'admitted');
        document.title = t(root, 'admitted');
        es.close();
        chime().finally(() => location.assign(root.dataset.call));
      } else if (state === 'declined') {
        status.textContent = t(root, 'declined');
        es.close();
      }
    });
    es.onerror = () => {
      if (root.dataset.state !== 'declined' && root.dataset.state !== 'admitted') {
        status.textContent = t(root, 'lost');
      }
    };
  }

  // ---- booking calendar: one tab stop, arrows move between days ----

  function runGrid(grid) {
    const cells = Array.from(grid.querySelectorAll('td[data-date]'));
    const focusable = (td) => td && td.querySelector('a.day, span.day');
    const items = cells.map(focusable);
    let current = cells.findIndex((td) => td.getAttribute('aria-selected') === 'true' && focusable(td));
    if (current < 0) {
      current = cells.findIndex((td) => td.querySelector('a.day'));
    }
    if (current < 0) {
      current = items.findIndex((x) => x);
    }
    items.forEach((x, i) => { if (x) { x.tabIndex = i === current ? 0 : -1; } });
    const rtl = document.documentElement.dir === 'rtl';
    grid.addEventListener('keydown', (ev) => {
      const i = items.indexOf(document.activeElement);
      if (i < 0) {
        return;
      }
      let step = 0;
      switch (ev.key) {
        case 'ArrowRight': step = rtl ? -1 : 1; break;
        case 'ArrowLeft': step = rtl ? 1 : -1; break;
        case 'ArrowDown': step = 7; break;
        case 'ArrowUp': step = -7; break;
        case 'Home': step = -(i % 7); break;
        case 'End': step = 6 - (i % 7); break;
        default: return;
      }
      let j = i + step;
      while (j >= 0 && j < items.length && !items[j]) {
        j += step > 0 ? 1 : -1; // skip days outside the month
      }
      if (j < 0 || j >= items.length || !items[j]) {
        return;
      }
      ev.preventDefault();
      items[i].tabIndex = -1;
      items[j].tabIndex = 0;
      items[j].focus();
    });
  }

  const grid = document.getElementById('grid');
  if (grid && grid.classList.contains('month')) {
    runGrid(grid);
  }
  // The waiting room promises a sound when the call begins: two short tones
  // (silently skipped where the browser does not allow sound yet).
  function chime() {
    return new Promise((resolve) => {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) {
        resolve();
        return;
      }
      try {
        const ctx = new Ctx();
        const now = ctx.currentTime;
        [[660, 0], [880, 0.2]].forEach(([f, at]) => {
          const o = ctx.createOscillator();
          const g = ctx.createGain();
          o.frequency.value = f;
          g.gain.setValueAtTime(0.0001, now + at);
          g.gain.exponentialRampToValueAtTime(0.2, now + at + 0.02);
          g.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.18);
          o.connect(g).connect(ctx.destination);
          o.start(now + at);
          o.stop(now + at + 0.2);
        });
      } catch (e) { /* no sound, go on */ }
      setTimeout(resolve, 450);
    });
  }

  // ---- quality choice: kept in localStorage for the call page (features.js) ----

  const qualityKey = 'nahbar.quality';

  function runQuality(box) {
    const radios = box.querySelectorAll('input[name="quality-mode"]');
    const budget = document.getElementById('quality-budget');
    try {
      const q = JSON.parse(localStorage.getItem(qualityKey) || 'null');
      if (q && (q.mode === 'high' || q.mode === 'save_data')) {
        radios.forEach((r) => { r.checked = r.value === q.mode; });
        budget.value = Number(q.budget) > 0 ? String(Math.round(Number(q.budget))) : '';
      }
    } catch (e) { /* a broken entry is replaced below */ }
    box.addEventListener('change', () => {
      const checked = box.querySelector('input[name="quality-mode"]:checked');
      const b = Math.round(Number(budget.value));
      try {
        localStorage.setItem(qualityKey, JSON.stringify({
          mode: checked && checked.value === 'save_data' ? 'save_data' : 'high',
          budget: b > 0 && b <= 100000 ? b : 0,
        }));
      } catch (e) { /* storage refused: the call starts with the default */ }
    });
  }

  const check = document.getElementById('check');
  if (check) {
    runCheck(check);
  }
  const testcall = document.getElementById('testcall-box');
  if (testcall) {
    runTestCall(testcall);
  }
  const quality = document.getElementById('quality-choice');
  if (quality) {
    runQuality(quality);
  }
  const wait = document.getElementById('wait');
  if (wait) {
    runWait(wait);
  }
})();
