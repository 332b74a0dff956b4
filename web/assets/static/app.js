// nahbar join page: camera preview, join, one composed picture and one
// mixed sound from the server, mute/camera/leave. It speaks the signalling
// protocol of docs/signalling.md over one WebSocket. No build step, no
// dependencies; the page's Content-Security-Policy forbids inline script.
'use strict';

(function () {
  const PROTOCOL_VERSION = 1;
  const CLIENT_VERSION = '1';
  const MAX_RECONNECTS = 5;

  const main = document.getElementById('main');
  const token = main.dataset.token;
  // An attendee an advisor promotes starts publishing later (promoted).
  let publishes = main.dataset.publishes === 'true';
  const role = main.dataset.role || '';
  const audioProcessing = main.dataset.audioProcessing !== 'off';
  // Set on the citizen journey's call page: join without another click,
  // go to the survey after leaving, back to the waiting room if not admitted.
  const autoJoin = main.dataset.autojoin === 'on';
  const afterLeave = main.dataset.afterLeave || '';
  const waitingRoom = main.dataset.waitingRoom || '';
  // Where to go when the advisor ends the call: the survey for a citizen, a
  // short "the call has ended" page for the others; empty: say it here.
  const afterEnd = main.dataset.afterEnd || '';
  // Texts in the page's language (citizen journey); English otherwise.
  const texts = main.dataset.i18n ? JSON.parse(main.dataset.i18n) : {};
  const tr = (id, english) => texts[id] || english;

  const el = {
    status: document.getElementById('status'),
    prejoin: document.getElementById('prejoin'),
    join: document.getElementById('join'),
    call: document.getElementById('call'),
    remote: document.getElementById('remote'),
    remoteAudio: document.getElementById('remote-audio'),
    labels: document.getElementById('labels'),
    preview: document.getElementById('preview'),
    mic: document.getElementById('mic'),
    cam: document.getElementById('cam'),
    sound: document.getElementById('sound'),
    leave: document.getElementById('leave'),
    roster: document.getElementById('roster'),
  };

  // All mutable state lives here; window.nahbar exposes it read-only.
  const s = {
    state: 'idle', // idle, preview, connecting, connected, reconnecting, left, ended, error
    ws: null,
    pc: null,
    participantId: '',
    local: null, // MediaStream from getUserMedia
    audioSender: null,
    videoSender: null,
    micMuted: false,
    camOff: false,
    layout: null,
    roster: [],
    pendingCandidates: [],
    reconnects: 0,
    reconnectTimer: 0,
    queue: Promise.resolve(),
    makingOffer: false,
    // What the page knows of its devices, for device_status.
    device: { camera: publishes ? 'unknown' : 'off', microphone: publishes ? 'unknown' : 'off', details: '' },
  };

  window.nahbar = Object.freeze({
    get pc() { return s.pc; },
    get state() { return s.state; },
    get layout() { return s.layout; },
    get roster() { return s.roster.slice(); },
    get participantId() { return s.participantId; },
    get features() { return features ? features.state : null; },
  });

  // features.js (quality, paused video, uplink hints, screen sharing, chat,
  // group sessions, live status) works through this narrow interface.
  const features = window.nahbarFeatures ? window.nahbarFeatures({
    role: role,
    send: send,
    tr: tr,
    texts: texts,
    get publishes() { return publishes; },
    get pc() { return s.pc; },
    get local() { return s.local; },
    get videoSender() { return s.videoSender; },
    get participantId() { return s.participantId; },
    get roster() { return s.roster; },
    get device() { return s.device; },
    enqueue: enqueue,
    offer: offer,
    publish: publish,
    unpublish: unpublish,
    say: (text) => { el.status.textContent = text; },
    muteMic: muteMic,
  }) : null;
  // ---- status text, in words a citizen understands ----

  function setState(state, text) {
    s.state = state;
    main.dataset.state = state;
    if (text) {
      el.status.textContent = text;
    }
  }

  const errorText = {
    invalid_token: 'This invitation link is not valid or has expired. Please ask the office that invited you for a new link.',
    room_ended: 'The advisor has ended the call.',
    unsupported_version: 'The video service has been updated. Please reload this page.',
    server_closing: 'The video service is restarting. We will reconnect you in a moment.',
    bad_sdp: 'Your browser and the video service could not agree on how to connect. Please try a current version of Chrome, Edge, Firefox or Safari.',
    bad_candidate: 'There is a problem with the network connection. We keep trying.',
    bad_media: 'Your camera or microphone signal could not be read by the video service.',
    internal: 'Something went wrong on our side. We will try again.',
  };
  // Codes after which trying again cannot help.
  const fatalCodes = new Set(['invalid_token', 'unsupported_version', 'room_ended']);
  // Codes the call survives: show them, keep going.
  const softCodes = new Set(['bad_candidate', 'bad_media']);
  // Codes only a developer can act on. An undecodable message is followed
  // by bye{protocol_error}, which reconnects; an out-of-order one changes nothing.
  const silentCodes = new Set(['bad_message']);
  // Refusals of a single request (chat, hands, promote): the call goes on.
  ['forbidden', 'not_found', 'rate_limited'].forEach((c) => silentCodes.add(c));

  // ---- camera and microphone ----

  function audioConstraints() {
    return {
      echoCancellation: audioProcessing,
      noiseSuppression: audioProcessing,
      autoGainControl: audioProcessing,
      channelCount: 1,
    };
  }

  function videoConstraints() {
    return { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 30 } };
  }

  async function startPreview() {
    if (!publishes) {
      setState('preview', 'Press “Join the appointment” when you are ready.');
      el.join.disabled = false;
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setState('preview', tr('call_device_no_https', 'This browser cannot use a camera here. You can still join and watch and listen. The page must be opened over https.'));
      el.join.disabled = false;
      return;
    }
    setState('preview', tr('loading', 'Asking for your camera and microphone…'));
    try {
      s.local = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(), video: videoConstraints() });
    } catch (err) {
      console.warn('getUserMedia', err);
      s.local = null;
      const st = deviceStateOf(err);
      s.device = { camera: st, microphone: st, details: '' };
      setState('preview', deviceErrorText(err) + ' ' + tr('call_device_join_anyway', 'You can still join without them.'));
      el.join.disabled = false;
      return;
    }
    el.preview.srcObject = s.local;
    noteDevices();
    setState('preview', tr('check_all_ok', 'Your camera and microphone work. Press “Join the appointment” when you are ready.'));
    el.join.disabled = false;
  }

  // deviceStateOf maps a getUserMedia error to device_status's words.
  function deviceStateOf(err) {
    switch (err && err.name) {
      case 'NotAllowedError':
        return 'denied';
      case 'NotFoundError':
        return 'missing';
      default:
        return 'error';
    }
  }

  // noteDevices records the local tracks' state and tells the server.
  function noteDevices() {
    const a = s.local && s.local.getAudioTracks()[0];
    const v = s.local && s.local.getVideoTracks()[0];
    s.device = {
      camera: v ? (s.camOff ? 'off' : 'ok') : (s.camOff ? 'off' : s.device.camera === 'ok' ? 'missing' : s.device.camera),
      microphone: a ? (s.micMuted ? 'off' : 'ok') : s.device.microphone === 'ok' ? 'missing' : s.device.microphone,
      details: ((v && v.label) || (a && a.label) || '').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200),
    };
    if (features) {
      features.deviceChanged();
    }
  }

  function deviceErrorText(err) {
    switch (err && err.name) {
      case 'NotAllowedError':
        return tr('call_device_denied', 'You did not allow the camera and microphone. Allow them in your browser’s address bar and reload the page.');
      case 'NotFoundError':
        return tr('call_device_missing', 'No camera or microphone was found.');
      case 'NotReadableError':
        return tr('call_device_busy', 'Your camera or microphone is being used by another program. Close it and reload the page.');
      default:
        return tr('call_device_failed', 'Your camera or microphone could not be started.');
    }
  }

  // ---- signalling ----

  function send(msg) {
    if (s.ws && s.ws.readyState === WebSocket.OPEN) {
      s.ws.send(JSON.stringify(msg));
    }
  }

  function connect() {
    clearTimeout(s.reconnectTimer);
    // A new connection gets a new message queue: a step of the connection
    // given up that never settles must not hold the new one's messages back
    // (the page would wait in "reconnecting" for ever). connect runs at
    // least 500 ms after stopCall, by when a step that does settle has.
    s.queue = Promise.resolve();
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/ws');
    s.ws = ws;
    ws.onopen = () => {
      send({ type: 'join', v: PROTOCOL_VERSION, token: token, client: { agent: navigator.userAgent.slice(0, 250), version: CLIENT_VERSION } });
    };
    ws.onmessage = (ev) => {
      if (s.ws !== ws) {
        return; // a socket we already gave up (e.g. a bye after an error)
      }
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (err) {
        console.warn('undecodable signalling message', err);
        return;
      }
      // One message at a time, in order: negotiation steps must not interleave.
      s.queue = s.queue.then(() => handle(msg)).catch((err) => {
        console.error('handling', msg && msg.type, err);
      });
    };
    ws.onclose = () => {
      if (s.ws !== ws) {
        return; // an old socket we replaced
      }
      s.ws = null;
      if (s.state === 'connecting' || s.state === 'connected' || s.state === 'reconnecting') {
        reconnect(tr('call_reconnecting', 'The connection was interrupted. Reconnecting…'));
      }
    };
  }

  async function handle(msg) {
    switch (msg.type) {
      case 'joined':
        s.participantId = msg.participant_id;
        if (features) {
          features.joined();
        }
        await startPeer();
        break;
      case 'answer':
        if (s.pc && s.pc.signalingState === 'have-local-offer') {
          await s.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
          await flushCandidates();
        }
        break;
      case 'offer':
        await onServerOffer(msg.sdp);
        break;
      case 'candidate':
        await onRemoteCandidate(msg.candidate);
        break;
      case 'roster':
        s.roster = Array.isArray(msg.participants) ? msg.participants : [];
        renderRoster();
        renderLabels();
        if (features) {
          features.rosterChanged();
        }
        break;
      case 'layout':
        s.layout = { view: msg.view, width: msg.width, height: msg.height, cells: msg.cells || [] };
        renderLabels();
        break;
      case 'error':
        onServerError(msg.code, msg.message);
        break;
      case 'bye':
        onBye(msg.reason);
        break;
      default:
        if (!features || !(await features.handle(msg))) {
          console.warn('unknown signalling message', msg.type);
        }
    }
  }

  function onServerError(code, message) {
    console.warn('server error', code, message);
    if (silentCodes.has(code)) {
      return;
    }
    const text = errorText[code] ? tr('call_error_' + code, errorText[code]) : tr('call_error_unknown', 'Something went wrong. We will try again.');
    if (code === 'room_ended') {
      onEnded(); // e.g. a reload after the advisor ended the call
      return;
    }
    if (code === 'invalid_token' && waitingRoom) {
      stopCall();
      location.assign(waitingRoom); // not (or no longer) admitted
      return;
    }
    if (fatalCodes.has(code)) {
      stopCall();
      showPrejoin();
      setState('error', text);
      el.join.disabled = true;
      return;
    }
    if (softCodes.has(code)) {
      el.status.textContent = text;
      return;
    }
    if (code === 'bad_sdp') {
      stopCall();
      showPrejoin();
      setState('error', text);
      return;
    }
    reconnect(text);
  }

  function onBye(reason) {
    switch (reason) {
      case 'left':
        return; // our own leave; already handled
      case 'ended':
        onEnded();
        return;
      case 'shutdown':
        reconnect(tr('call_reconnecting', 'The video service is restarting. We will reconnect you in a moment.'));
        return;
      default:
        reconnect(tr('call_reconnecting', 'The connection was lost. Reconnecting…'));
    }
  }

  // onEnded: the advisor ended the call for everyone (bye{ended}, or a
  // rejoin refused with room_ended). No reconnect: camera and microphone go
  // off, and the page says so in its language and moves on (afterEnd).
  function onEnded() {
    stopCall();
    if (s.local) {
      s.local.getTracks().forEach((t) => t.stop());
      s.local = null;
    }
    // The advisor's own call tab (they pressed End in the console) just says it is over.
    setState('ended', role === 'advisor' ? tr('call_ended', 'The call has ended.')
      : tr('call_ended_by_advisor', 'The advisor has ended the call.'));
    if (afterEnd) {
      location.assign(afterEnd);
      return;
    }
    showPrejoin();
    el.join.disabled = true;
  }

  // ---- WebRTC ----

  async function startPeer() {
    closePeer();
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    s.pc = pc;
    watchArrivals(pc);
    s.pendingCandidates = [];

    const direction = publishes ? 'sendrecv' : 'recvonly';
    const audioTrack = s.local ? s.local.getAudioTracks()[0] : null;
    const videoTrack = s.local && !s.camOff ? s.local.getVideoTracks()[0] : null;
    const streams = s.local ? [s.local] : [];
    const audio = pc.addTransceiver(audioTrack || 'audio', { direction: direction, streams: streams });
    const video = pc.addTransceiver(videoTrack || 'video', { direction: direction, streams: streams });
    s.audioSender = audio.sender;
    s.videoSender = video.sender;

    pc.onicecandidate = (ev) => {
      send({ type: 'candidate', candidate: ev.candidate ? ev.candidate.toJSON() : null });
    };
    pc.ontrack = (ev) => {
      if (ev.track.kind === 'video') {
        el.remote.srcObject = new MediaStream([ev.track]);
      } else {
        el.remoteAudio.srcObject = new MediaStream([ev.track]);
        playAudio();
      }
    };
    pc.onconnectionstatechange = () => {
      if (s.pc !== pc) {
        return;
      }
      switch (pc.connectionState) {
        case 'connected':
          s.reconnects = 0;
          setState('connected', connectedText());
          break;
        case 'disconnected':
          setState('reconnecting', interruptedText());
          break;
        case 'failed':
          reconnect(tr('call_reconnecting', 'The connection was lost. Reconnecting…'));
          break;
      }
    };

    showCall();
    s.makingOffer = true;
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } finally {
      s.makingOffer = false;
    }
    send({ type: 'offer', sdp: pc.localDescription.sdp });
    if (features) {
      features.peerStarted();
    }
    if (s.micMuted || s.camOff) {
      send({ type: 'mute', audio: s.micMuted, video: s.camOff });
    }
  }

  // enqueue runs fn in order with the signalling messages, so a client
  // offer never interleaves with the server's negotiation steps.
  function enqueue(fn) {
    s.queue = s.queue.then(fn).catch((err) => { console.error('queued', err); });
    return s.queue;
  }

  // offer renegotiates from the client's side; before(pc) runs after the
  // local description is set (transceivers have their mid then) and before
  // the offer is sent. Call it from enqueue.
  async function offer(before) {
    const pc = s.pc;
    if (!pc || pc.signalingState !== 'stable') {
      return false;
    }
    s.makingOffer = true;
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } finally {
      s.makingOffer = false;
    }
    if (before) {
      before(pc);
    }
    send({ type: 'offer', sdp: pc.localDescription.sdp });
    return true;
  }

  // publish starts camera and microphone on the existing transceivers after
  // a promotion (docs/signalling.md "promote") and re-offers.
  async function publish() {
    publishes = true;
    if (!s.local) {
      try {
        s.local = await navigator.mediaDevices.getUserMedia({ audio: audioConstraints(), video: videoConstraints() });
      } catch (err) {
        console.warn('getUserMedia after promotion', err);
        const st = deviceStateOf(err);
        s.device = { camera: st, microphone: st, details: '' };
        el.status.textContent = deviceErrorText(err);
      }
    }
    const pc = s.pc;
    if (pc) {
      for (const t of pc.getTransceivers()) {
        if (t.sender === s.audioSender || t.sender === s.videoSender) {
          const kind = t.sender === s.audioSender ? 'audio' : 'video';
          const track = s.local ? s.local.getTracks().find((x) => x.kind === kind) : null;
          await t.sender.replaceTrack(track || null);
          if (s.local) {
            t.sender.setStreams(s.local);
          }
          t.direction = 'sendrecv';
        }
      }
      await offer();
    }
    el.mic.hidden = !s.local;
    el.cam.hidden = !s.local;
    noteDevices();
  }

  // unpublish stops sending after a demotion.
  async function unpublish() {
    publishes = false;
    const pc = s.pc;
    if (pc) {
      for (const t of pc.getTransceivers()) {
        if (t.sender === s.audioSender || t.sender === s.videoSender) {
          await t.sender.replaceTrack(null);
          t.direction = 'recvonly';
        }
      }
    }
    if (s.local) {
      s.local.getTracks().forEach((t) => t.stop());
      s.local = null;
    }
    el.mic.hidden = true;
    el.cam.hidden = true;
    s.device = { camera: 'off', microphone: 'off', details: '' };
    if (features) {
      features.deviceChanged();
    }
    if (pc) {
      await offer();
    }
  }

  // The server renegotiates (e.g. to add a transceiver). On a collision the
  // server is the side that yields (docs/signalling.md): it rolls its offer
  // back, answers ours and offers again, so the client ignores its offer.
  async function onServerOffer(sdp) {
    const pc = s.pc;
    if (!pc) {
      return;
    }
    if (s.makingOffer || pc.signalingState !== 'stable') {
      console.info('ignoring a colliding server offer; the server yields');
      return;
    }
    await pc.setRemoteDescription({ type: 'offer', sdp: sdp });
    await flushCandidates();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: 'answer', sdp: pc.localDescription.sdp });
  }

  async function onRemoteCandidate(c) {
    if (!s.pc || !c || !c.candidate) {
      return; // end-of-candidates needs no action
    }
    if (!s.pc.remoteDescription) {
      s.pendingCandidates.push(c);
      return;
    }
    try {
      await s.pc.addIceCandidate(c);
    } catch (err) {
      console.warn('addIceCandidate', err);
    }
  }

  async function flushCandidates() {
    const list = s.pendingCandidates;
    s.pendingCandidates = [];
    for (const c of list) {
      await onRemoteCandidate(c);
    }
  }

  function playAudio() {
    const p = el.remoteAudio.play();
    if (p && p.catch) {
      p.then(() => { el.sound.hidden = true; }).catch(() => {
        el.sound.hidden = false; // autoplay refused: let the user start sound
      });
    }
  }

  function connectedText() {
    return texts.call_connected ? texts.call_connected + ' ' + texts.call_recording_notice
      : 'You are connected.' + (publishes ? ' Others can see and hear you.' : '') + ' Recording is prohibited.';
  }

  function interruptedText() {
    return tr('call_interrupted', 'The connection is interrupted. Please wait: the call goes on by itself as soon as it is back.');
  }

  // A link that drops (a tunnel, a handover between cells) shows first as
  // nothing arriving, seconds before the browser calls the connection
  // disconnected: after STALL_MS without a packet the page says so, and
  // says connected again when packets flow. The server sends a few packets
  // a second even in silence with the video paused (Opus DTX), so quiet is
  // not mistaken for a lost link.
  const STALL_MS = 2000;
  function watchArrivals(pc) {
    let last = 0;
    let since = Date.now();
    let stalled = false;
    const timer = setInterval(async () => {
      if (s.pc !== pc) {
        clearInterval(timer);
        return;
      }
      let n = 0;
      try {
        (await pc.getStats()).forEach((r) => {
          if (r.type === 'inbound-rtp') {
            n += r.packetsReceived || 0;
          }
        });
      } catch (err) {
        return; // closed meanwhile
      }
      if (s.pc !== pc) {
        return;
      }
      if (n !== last) {
        last = n;
        since = Date.now();
        if (stalled) {
          stalled = false;
          if (s.state === 'reconnecting' && pc.connectionState === 'connected') {
            setState('connected', connectedText());
          }
        }
        return;
      }
      if (!stalled && last > 0 && s.state === 'connected' && Date.now() - since >= STALL_MS) {
        stalled = true;
        setState('reconnecting', interruptedText());
      }
    }, 1000);
  }

  function closePeer() {
    if (s.pc) {
      s.pc.onicecandidate = null;
      s.pc.ontrack = null;
      s.pc.onconnectionstatechange = null;
      s.pc.close();
      s.pc = null;
    }
    s.audioSender = null;
    s.videoSender = null;
  }

  function stopCall() {
    clearTimeout(s.reconnectTimer);
    closePeer();
    if (s.ws) {
      const ws = s.ws;
      s.ws = null;
      ws.close();
    }
    s.layout = null;
    s.roster = [];
    if (features) {
      features.stopped();
    }
    renderRoster();
    renderLabels();
  }

  function reconnect(text) {
    stopCall();
    if (s.reconnects >= MAX_RECONNECTS) {
      setState('error', tr('call_reconnect_failed', 'We could not reconnect you. Please check your internet connection and press “Join the appointment” again.'));
      s.reconnects = 0;
      showPrejoin();
      return;
    }
    s.reconnects++;
    setState('reconnecting', text);
    const delay = Math.min(8000, 500 * Math.pow(2, s.reconnects - 1));
    s.reconnectTimer = setTimeout(connect, delay);
  }

  // ---- controls ----

  function join() {
    el.join.disabled = true;
    s.reconnects = 0;
    setState('connecting', tr('loading', 'Connecting…'));
    connect();
  }

  function leave() {
    send({ type: 'leave' });
    stopCall();
    setState('left', tr('call_ended', 'You have left the appointment. You can close this page, or join again.'));
    if (afterLeave) {
      location.assign(afterLeave);
      return;
    }
    showPrejoin();
  }

  function toggleMic() {
    muteMic(!s.micMuted);
    send({ type: 'mute', audio: s.micMuted });
  }

  // muteMic sets the microphone; mute_request uses it too (the server has
  // muted us already, so it sends nothing itself).
  function muteMic(muted) {
    s.micMuted = muted;
    const track = s.local && s.local.getAudioTracks()[0];
    if (track) {
      track.enabled = !s.micMuted;
    }
    el.mic.setAttribute('aria-pressed', String(s.micMuted));
    el.mic.textContent = s.micMuted ? tr('call_unmute', 'Unmute microphone') : tr('call_mute', 'Mute microphone');
    el.status.textContent = s.micMuted ? tr('call_muted', 'Your microphone is muted.') : tr('call_microphone_on', 'Your microphone is on.');
    noteDevices();
  }

  // Turning the camera off stops it (its light goes out) rather than sending
  // black pictures; turning it on asks for a new camera track.
  // The button is marked busy, not disabled, while the camera starts: disabling a
  // focused button drops the keyboard focus to the page, and a keyboard user's
  // next Enter would go nowhere.
  async function toggleCam() {
    if (s.camBusy) {
      return;
    }
    s.camBusy = true;
    el.cam.setAttribute('aria-disabled', 'true');
    try {
      if (!s.camOff) {
        s.camOff = true;
        const track = s.local && s.local.getVideoTracks()[0];
        if (s.videoSender) {
          await s.videoSender.replaceTrack(null);
        }
        if (track) {
          track.stop();
          s.local.removeTrack(track);
        }
      } else {
        const fresh = await navigator.mediaDevices.getUserMedia({ video: videoConstraints() });
        const track = fresh.getVideoTracks()[0];
        if (!s.local) {
          s.local = new MediaStream();
        }
        s.local.addTrack(track);
        if (s.videoSender) {
          await s.videoSender.replaceTrack(track);
        }
        if (el.preview) {
          el.preview.srcObject = s.local; // a promoted attendee's page has no preview
        }
        s.camOff = false;
      }
    } catch (err) {
      console.warn('camera', err);
      el.status.textContent = deviceErrorText(err);
    } finally {
      s.camBusy = false;
      el.cam.removeAttribute('aria-disabled');
    }
    el.cam.setAttribute('aria-pressed', String(s.camOff));
    el.cam.textContent = s.camOff ? tr('call_camera_on', 'Turn camera on') : tr('call_camera_off', 'Turn camera off');
    el.status.textContent = s.camOff ? tr('call_camera_is_off', 'Your camera is off.') : tr('call_camera_is_on', 'Your camera is on.');
    send({ type: 'mute', video: s.camOff });
    noteDevices();
    if (features) {
      features.cameraChanged();
    }
  }

  // ---- rendering ----

  function showCall() {
    const wasHidden = el.call.hidden;
    el.prejoin.hidden = true;
    el.call.hidden = false;
    el.mic.hidden = !publishes || !s.local;
    el.cam.hidden = !publishes || !s.local;
    main.classList.add('in-call');
    if (wasHidden) {
      // The Join button just disappeared; keep keyboard users in the call controls.
      (el.mic.hidden ? el.leave : el.mic).focus();
    }
  }

  function showPrejoin() {
    el.call.hidden = true;
    el.prejoin.hidden = false;
    el.join.disabled = false;
    main.classList.remove('in-call');
    el.join.focus();
  }

  function nameOf(id) {
    const p = s.roster.find((e) => e.id === id);
    return p ? p.name : '';
  }

  function renderRoster() {
    el.roster.replaceChildren();
    for (const p of s.roster) {
      const li = document.createElement('li');
      let text = p.name || tr('call_participant', 'Participant');
      if (p.id === s.participantId) {
        text += ' (' + tr('call_you', 'you') + ')';
      }
      const notes = [];
      if (p.audio_muted) {
        notes.push(tr('call_note_mic_off', 'microphone off'));
      }
      if (p.video_muted) {
        notes.push(tr('call_note_camera_off', 'camera off'));
      }
      if (p.hand_raised) {
        notes.push(tr('call_hand_raised_note', 'hand raised'));
      }
      if (notes.length) {
        text += ' – ' + notes.join(', ');
      }
      li.textContent = text;
      el.roster.appendChild(li);
    }
  }

  // Name labels sit over the cells the layout message names.
  function renderLabels() {
    el.labels.replaceChildren();
    const l = s.layout;
    if (!l || !l.cells) {
      return;
    }
    if (l.width > 0 && l.height > 0) {
      el.labels.parentElement.style.aspectRatio = l.width + ' / ' + l.height;
    }
    for (const c of l.cells) {
      const span = document.createElement('span');
      span.className = 'label';
      span.textContent = nameOf(c.participant_id);
      span.style.left = (c.x * 100) + '%';
      span.style.top = ((c.y + c.h) * 100) + '%';
      if (span.textContent) {
        el.labels.appendChild(span);
      }
    }
  }

  el.join.addEventListener('click', join);
  el.leave.addEventListener('click', leave);
  el.mic.addEventListener('click', toggleMic);
  el.cam.addEventListener('click', () => { toggleCam(); });
  el.sound.addEventListener('click', playAudio);
  window.addEventListener('pagehide', () => { send({ type: 'leave' }); });

  startPreview().then(() => {
    if (autoJoin && !el.join.disabled) {
      join();
    }
  });
})();
