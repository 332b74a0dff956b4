// Test probe, evaluated in the join page through the DevTools protocol. It
// only reads: the page's read-only hook window.nahbar, the received <video>
// and <audio>, and getStats().
(() => {
  if (window.__probe) {
    return true;
  }
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });

  function grab() {
    const v = document.getElementById('remote');
    const w = v.videoWidth;
    const h = v.videoHeight;
    if (!w || !h) {
      return null;
    }
    canvas.width = w;
    canvas.height = h;
    g.drawImage(v, 0, 0, w, h);
    return { w, h };
  }

  function mean(x0, y0, x1, y1) {
    const d = g.getImageData(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0)).data;
    let r = 0, gr = 0, b = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      r += d[i];
      gr += d[i + 1];
      b += d[i + 2];
    }
    return [Math.round(r / n), Math.round(gr / n), Math.round(b / n)];
  }

  // picture: the mean colour inside each layout cell (inset at least 16 px
  // from its borders) and a coarse grid of small samples over the frame.
  function picture() {
    const l = window.nahbar.layout;
    const f = grab();
    if (!f || !l) {
      return null;
    }
    const cells = [];
    // A camera picture is fitted into its cell keeping its aspect ratio
    // (letterboxed), so sample a square at the cell's centre, half as wide as
    // the cell's shorter side, and at least 16 px inside every border.
    for (const c of l.cells) {
      const cx = (c.x + c.w / 2) * f.w, cy = (c.y + c.h / 2) * f.h;
      const cw = c.w * f.w, ch = c.h * f.h;
      const half = Math.min(0.25 * Math.min(cw, ch), cw / 2 - 16, ch / 2 - 16);
      const rgb = half >= 2
        ? mean(Math.round(cx - half), Math.round(cy - half), Math.round(cx + half), Math.round(cy + half))
        : null;
      cells.push({ id: c.participant_id, rgb: rgb });
    }
    const grid = [];
    for (let gy = 0; gy < 6; gy++) {
      for (let gx = 0; gx < 8; gx++) {
        const cx = Math.round((gx + 0.5) / 8 * f.w), cy = Math.round((gy + 0.5) / 6 * f.h);
        grid.push(mean(cx - 4, cy - 4, cx + 4, cy + 4));
      }
    }
    return { w: f.w, h: f.h, view: l.view, cells: cells, grid: grid };
  }

  // local: the mean colour of the middle of the participant's own camera
  // preview, i.e. what the browser captured before any encoding.
  function local() {
    const v = document.getElementById('preview');
    if (!v || !v.videoWidth) {
      return null;
    }
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    g.drawImage(v, 0, 0);
    return mean(Math.round(v.videoWidth / 4), Math.round(v.videoHeight / 4), Math.round(v.videoWidth * 3 / 4), Math.round(v.videoHeight * 3 / 4));
  }

  async function stats() {
    const pc = window.nahbar.pc;
    const out = { framesDecoded: 0, frameWidth: 0, frameHeight: 0, fps: 0, freezeCount: 0, packetsLost: 0, bytes: 0, audioLevel: 0, audioBytes: 0 };
    if (!pc) {
      return out;
    }
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video' && (s.framesDecoded || 0) >= out.framesDecoded) {
        out.framesDecoded = s.framesDecoded || 0;
        out.frameWidth = s.frameWidth || 0;
        out.frameHeight = s.frameHeight || 0;
        out.fps = s.framesPerSecond || 0;
        out.freezeCount = s.freezeCount || 0;
        out.packetsLost = s.packetsLost || 0;
        out.bytes = s.bytesReceived || 0;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.sentFPS = s.framesPerSecond || 0;
        out.framesEncoded = s.framesEncoded || 0;
        out.sentWidth = s.frameWidth || 0;
        out.qualityLimitation = s.qualityLimitationReason || '';
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        out.audioLevel = s.audioLevel || 0;
        out.audioBytes = s.bytesReceived || 0;
      }
    });
    return out;
  }

  // The sound: an FFT of the remote audio, averaged in linear magnitude.
  let audio = null;
  function audioStart() {
    const el = document.getElementById('remote-audio');
    if (!el.srcObject) {
      return false;
    }
    const ac = new AudioContext({ sampleRate: 48000 });
    const an = ac.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    ac.createMediaStreamSource(el.srcObject).connect(an);
    const buf = new Float32Array(an.frequencyBinCount);
    const acc = new Float64Array(an.frequencyBinCount);
    let n = 0;
    const timer = setInterval(() => {
      an.getFloatFrequencyData(buf);
      for (let i = 0; i < buf.length; i++) {
        acc[i] += Math.pow(10, buf[i] / 20);
      }
      n++;
    }, 100);
    ac.resume();
    audio = { ac, an, acc, timer, n: () => n };
    return true;
  }

  // audioResult gives, per frequency, its peak in dB above the median
  // spectrum of 100 Hz..4 kHz.
  function audioResult(freqs) {
    if (!audio || audio.n() === 0) {
      return null;
    }
    const binHz = audio.ac.sampleRate / audio.an.fftSize;
    const n = audio.n();
    const avg = Array.from(audio.acc, (v) => v / n);
    const floorBins = [];
    for (let i = Math.ceil(100 / binHz); i < 4000 / binHz; i++) {
      const f = i * binHz;
      if (freqs.every((t) => Math.abs(f - t) > 30)) {
        floorBins.push(avg[i]);
      }
    }
    floorBins.sort((a, b) => a - b);
    const floor = floorBins[Math.floor(floorBins.length / 2)] || 1e-12;
    const peaks = {};
    for (const f of freqs) {
      const c = Math.round(f / binHz);
      let p = 0;
      for (let i = c - 2; i <= c + 2; i++) {
        p = Math.max(p, avg[i] || 0);
      }
      peaks[f] = 20 * Math.log10(p / floor);
    }
    return { frames: n, floorDb: 20 * Math.log10(floor), peaks: peaks };
  }

  function audioStop() {
    if (audio) {
      clearInterval(audio.timer);
      audio.ac.close();
      audio = null;
    }
  }

  window.__probe = { picture, local, stats, audioStart, audioResult, audioStop };
  return true;
})()
