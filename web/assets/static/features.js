// nahbar call page, issue 5: the citizen's quality choice and the data it
// costs, the notice while video is paused, the uplink hint, screen sharing,
// chat, group sessions (hands, promote, mute all) and, for advisors, the
// live connection status. app.js owns the connection and calls in through
// the hooks returned here; all texts arrive localised in app.js's texts.
'use strict';

window.nahbarFeatures = function (api) {
  const QUALITY_KEY = 'nahbar.quality'; // shared with the device-check page
  const CHAT_MAX_BYTES = 2000;
  const CHAT_INTERVAL_MS = 500;
  const isAdvisor = api.role === 'advisor';
  const $ = (id) => document.getElementById(id);
  const el = {
    paused: $('video-paused'),
    stage: $('stage'),
    live: $('live'),
    quality: $('quality'),
    budget: $('budget'),
    usage: $('usage'),
    share: $('share'),
    hand: $('hand'),
    muteAll: $('mute-all'),
    handsPanel: $('hands-panel'),
    hands: $('hands'),
    statusPanel: $('status-panel'),
    connStatus: $('conn-status'),
    chatList: $('chat-list'),
    chatEmpty: $('chat-empty'),
    chatForm: $('chat-form'),
    chatText: $('chat-text'),
    chatSend: $('chat-send'),
  };

  const st = {
    joined: false,
    quality: loadQuality(),
    usage: null,
    videoPaused: false,
    pausedReason: '',
    hint: null,
    screenTrack: null,
    screenTransceiver: null,
    chat: [], // {id, participant_id, name, role, text, time}
    handRaised: false,
    live: false,
    status: [],
    lastChat: 0,
  };

  // tpl is a localised text with {name} placeholders filled in.
  function tpl(id, english, vars) {
    let text = api.tr(id, english);
    for (const k of Object.keys(vars || {})) {
      text = text.split('{' + k + '}').join(String(vars[k]));
    }
    return text;
  }

  // ---- the citizen's choice ----

  function loadQuality() {
    try {
      const q = JSON.parse(localStorage.getItem(QUALITY_KEY) || 'null');
      if (q && (q.mode === 'high' || q.mode === 'save_data')) {
        const budget = Number(q.budget) > 0 && Number(q.budget) <= 100000 ? Math.round(Number(q.budget)) : 0;
        return { mode: q.mode, budget: budget };
      }
    } catch (err) {
      console.warn('stored quality choice', err);
    }
    return { mode: 'high', budget: 0 };
  }

  function saveQuality() {
    try {
      localStorage.setItem(QUALITY_KEY, JSON.stringify(st.quality));
    } catch (err) {
      console.warn('store quality choice', err);
    }
  }

  function sendQuality() {
    const msg = { type: 'quality', mode: st.quality.mode };
    if (st.quality.budget > 0) {
      msg.budget_mb_per_hour = st.quality.budget;
    }
    api.send(msg);
  }

  function showQuality() {
    for (const r of el.quality.querySelectorAll('input[name="quality-mode"]')) {
      r.checked = r.value === st.quality.mode;
    }
    el.budget.value = st.quality.budget > 0 ? String(st.quality.budget) : '';
  }

  function qualityChanged() {
    const checked = el.quality.querySelector('input[name="quality-mode"]:checked');
    const b = Math.round(Number(el.budget.value));
    st.quality = {
      mode: checked && checked.value === 'save_data' ? 'save_data' : 'high',
      budget: b > 0 && b <= 100000 ? b : 0,
    };
    saveQuality();
    if (st.joined) {
      sendQuality();
    }
  }

  function onUsage(msg) {
    st.usage = msg;
    if (msg.mb_per_hour > 0) {
      el.usage.textContent = tpl('call_usage', 'This call uses about {mb} MB per hour.', { mb: Math.max(1, Math.round(msg.mb_per_hour)) });
    }
    el.usage.dataset.tier = msg.tier || '';
  }

  // ---- paused video ----

  function onVideoPaused(reason) {
    st.videoPaused = true;
    st.pausedReason = reason || 'bandwidth';
    el.paused.textContent = reason === 'data_saver'
      ? api.tr('call_video_paused_budget', 'The video is paused to stay within your data limit; the sound continues.')
      : api.tr('call_video_paused', 'Your connection is weak right now: the video is paused, the sound continues.');
    el.paused.hidden = false;
    el.stage.classList.add('video-paused');
  }

  function onVideoResumed() {
    if (!st.videoPaused) {
      return;
    }
    st.videoPaused = false;
    el.paused.hidden = true;
    el.stage.classList.remove('video-paused');
    api.say(api.tr('call_video_resumed', 'The video is running again.'));
  }

  // ---- uplink economy ----

  // applyHint sets the camera sender to what the server actually shows of
  // it (docs/signalling.md, publish_hint).
  async function applyHint() {
    const h = st.hint;
    const sender = api.videoSender;
    const track = sender && sender.track;
    if (!h || !track || !(h.max_width > 0) || !(h.max_height > 0)) {
      return;
    }
    const size = track.getSettings();
    const scale = Math.max(1, (size.width || h.max_width) / h.max_width, (size.height || h.max_height) / h.max_height);
    const params = sender.getParameters();
    if (!params.encodings || params.encodings.length === 0) {
      return; // not negotiated yet; the next hint or camera change applies it
    }
    const enc = params.encodings[0];
    enc.scaleResolutionDownBy = scale;
    if (h.max_fps > 0) {
      enc.maxFramerate = h.max_fps;
    }
    if (h.max_kbps > 0) {
      enc.maxBitrate = Math.round(h.max_kbps * 1000);
    }
    try {
      await sender.setParameters(params);
    } catch (err) {
      console.warn('apply publish_hint', err);
    }
  }

  // ---- screen sharing ----

  const canShare = !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);

  function showShare() {
    el.share.hidden = !canShare || !api.publishes || !st.joined;
    el.share.setAttribute('aria-pressed', String(!!st.screenTrack));
    el.share.textContent = st.screenTrack ? api.tr('call_share_stop', 'Stop sharing') : api.tr('call_share_screen', 'Share screen');
  }

  async function startShare() {
    let track;
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 15 } }, audio: false });
      track = stream.getVideoTracks()[0];
    } catch (err) {
      console.warn('getDisplayMedia', err);
      return;
    }
    if (!track) {
      return;
    }
    st.screenTrack = track;
    track.addEventListener('ended', () => { stopShare(); });
    showShare();
    api.say(api.tr('call_sharing', 'You are sharing your screen.'));
    await api.enqueue(async () => {
      const pc = api.pc;
      if (!pc || st.screenTrack !== track) {
        return;
      }
      const t = st.screenTransceiver;
      if (t && t.mid && pc.getTransceivers().includes(t) && !t.stopped) {
        api.send({ type: 'screen', mid: t.mid });
        await t.sender.replaceTrack(track);
        t.direction = 'sendonly';
        await api.offer();
        return;
      }
      const fresh = pc.addTransceiver(track, { direction: 'sendonly' });
      st.screenTransceiver = fresh;
      await api.offer(() => { api.send({ type: 'screen', mid: fresh.mid }); });
    });
  }

  async function stopShare() {
    const track = st.screenTrack;
    if (!track) {
      return;
    }
    st.screenTrack = null;
    track.stop();
    showShare();
    api.send({ type: 'screen_stop' });
    await api.enqueue(async () => {
      const t = st.screenTransceiver;
      const pc = api.pc;
      if (!pc || !t || !pc.getTransceivers().includes(t) || st.screenTrack) {
        return;
      }
      await t.sender.replaceTrack(null);
      t.direction = 'inactive';
      await api.offer();
    });
  }

  // ---- chat ----

  function chatTime(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString(document.documentElement.lang || undefined, { hour: '2-digit', minute: '2-digit' });
  }

  function chatItem(m) {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    const head = document.createElement('p');
    head.className = 'chat-head';
    const who = document.createElement('strong');
    who.textContent = m.name || '';
    const when = document.createElement('time');
    when.dateTime = m.time || '';
    when.textContent = chatTime(m.time);
    head.append(who, ' ', when);
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = m.text || '';
    li.append(head, body);
    if (isAdvisor) {
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'chat-delete';
      del.textContent = api.tr('call_chat_delete', 'Delete message');
      del.setAttribute('aria-label', api.tr('call_chat_delete', 'Delete message') + ': ' + (m.name || '') + ' ' + chatTime(m.time));
      del.addEventListener('click', () => { api.send({ type: 'chat_delete', id: m.id }); });
      li.append(del);
    }
    return li;
  }

  function renderChat() {
    el.chatList.replaceChildren(...st.chat.map(chatItem));
    el.chatEmpty.hidden = st.chat.length > 0;
  }

  function isChatMessage(m) {
    return m && typeof m.id === 'string' && typeof m.text === 'string';
  }

  function onChat(m) {
    if (!isChatMessage(m) || st.chat.some((x) => x.id === m.id)) {
      return;
    }
    st.chat.push(m);
    if (st.chat.length > 500) {
      st.chat.shift();
      el.chatList.firstElementChild.remove();
    }
    el.chatList.append(chatItem(m));
    el.chatEmpty.hidden = true;
  }

  function onChatDelete(id) {
    st.chat = st.chat.filter((m) => m.id !== id);
    for (const li of el.chatList.children) {
      if (li.dataset.id === id) {
        li.remove();
        break;
      }
    }
    el.chatEmpty.hidden = st.chat.length > 0;
  }

  // cleanChat keeps what the protocol allows: line feeds and tabs, no other
  // control characters, at most 2000 bytes of UTF-8.
  function cleanChat(text) {
    let t = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
    const enc = new TextEncoder();
    while (enc.encode(t).length > CHAT_MAX_BYTES) {
      t = t.slice(0, -1);
    }
    return t;
  }

  function sendChat(ev) {
    ev.preventDefault();
    const text = cleanChat(el.chatText.value);
    if (!text || !st.joined) {
      return;
    }
    const wait = st.lastChat + CHAT_INTERVAL_MS - Date.now();
    if (wait > 0) {
      setTimeout(() => { el.chatForm.requestSubmit(); }, wait);
      return;
    }
    st.lastChat = Date.now();
    api.send({ type: 'chat', text: text });
    el.chatText.value = '';
  }

  // ---- group sessions ----

  function me() {
    return api.roster.find((p) => p.id === api.participantId);
  }

  function showGroupControls() {
    const self = me();
    const attendee = api.role === 'attendee';
    if (self) {
      st.handRaised = !!self.hand_raised; // attendees' compact roster leaves them out: keep what we sent
    }
    el.hand.hidden = !st.joined || !attendee || st.live;
    el.hand.setAttribute('aria-pressed', String(st.handRaised));
    el.hand.textContent = st.handRaised ? api.tr('call_lower_hand', 'Lower hand') : api.tr('call_raise_hand', 'Raise hand');
    el.muteAll.hidden = !st.joined || !isAdvisor;
    el.live.hidden = !st.live;
    renderHands();
  }

  // renderHands lists, for advisors, who raised a hand (let speak) and who
  // was let speak (end speaking).
  function renderHands() {
    if (!isAdvisor) {
      el.handsPanel.hidden = true;
      return;
    }
    const items = [];
    for (const p of api.roster) {
      const promoted = p.role === 'attendee' && p.publishing;
      if (!p.hand_raised && !promoted) {
        continue;
      }
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = p.name + (p.hand_raised ? ' – ' + api.tr('call_hand_raised_note', 'hand raised') : '');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = promoted ? api.tr('call_demote', 'End speaking') : api.tr('call_promote', 'Let speak');
      b.setAttribute('aria-label', b.textContent + ': ' + p.name);
      b.dataset.action = promoted ? 'demote' : 'promote';
      b.dataset.participant = p.id;
      b.addEventListener('click', () => { api.send({ type: b.dataset.action, participant_id: p.id }); });
      li.append(name, ' ', b);
      items.push(li);
    }
    el.hands.replaceChildren(...items);
    el.handsPanel.hidden = items.length === 0;
  }

  function toggleHand() {
    api.send({ type: st.handRaised ? 'lower_hand' : 'raise_hand' });
    st.handRaised = !st.handRaised;
    el.hand.setAttribute('aria-pressed', String(st.handRaised));
    el.hand.textContent = st.handRaised ? api.tr('call_lower_hand', 'Lower hand') : api.tr('call_raise_hand', 'Raise hand');
  }

  // ---- live status (advisors) ----

  const tierBars = { high: 4, medium: 3, low: 2, audio: 1 };

  function browserName(agent) {
    const m = /(Edg|Firefox|Chrome|Chromium|Safari)\/(\d+)/.exec(agent || '');
    return m ? (m[1] === 'Edg' ? 'Edge' : m[1]) + ' ' + m[2] : '';
  }

  function renderStatus() {
    const items = [];
    for (const c of st.status) {
      const li = document.createElement('li');
      li.tabIndex = 0;
      li.className = 'conn';
      li.dataset.participant = c.participant_id || '';
      if (c.interrupted) {
        li.dataset.interrupted = 'true';
      }
      const tier = c.interrupted ? 'interrupted' : (c.video_paused ? 'audio' : (c.tier || ''));
      const bars = document.createElement('span');
      bars.className = 'bars';
      bars.dataset.bars = String(tierBars[tier] || 0);
      bars.setAttribute('aria-hidden', 'true');
      for (let i = 0; i < 4; i++) {
        bars.append(document.createElement('i'));
      }
      const label = document.createElement('span');
      label.className = 'conn-name';
      label.textContent = (c.name || '') + ': ' + api.tr('call_tier_' + tier, tier);
      const details = document.createElement('span');
      details.className = 'conn-details';
      const dev = c.device || {};
      const parts = [tpl('call_status_details', 'Down {down} kbit/s, up {up} kbit/s, response time {rtt} ms, loss {loss} %, {fps} frames/s', {
        down: Math.round(c.down_kbps || 0), up: Math.round(c.up_kbps || 0), rtt: Math.round(c.rtt_ms || 0),
        loss: (c.loss_pct || 0).toFixed(1), fps: Math.round(c.fps || 0),
      })];
      const b = browserName(c.client && c.client.agent);
      if (b) {
        parts.push(b);
      }
      if (dev.camera || dev.microphone) {
        parts.push('📷 ' + (dev.camera || '?') + ', 🎤 ' + (dev.microphone || '?'));
      }
      details.textContent = parts.join(' · ');
      li.title = details.textContent;
      li.append(bars, label, details);
      items.push(li);
    }
    el.connStatus.replaceChildren(...items);
    el.statusPanel.hidden = items.length === 0;
  }

  // ---- wiring ----

  showQuality();
  renderChat();
  el.quality.addEventListener('change', qualityChanged);
  el.share.addEventListener('click', () => { (st.screenTrack ? stopShare : startShare)(); });
  el.hand.addEventListener('click', toggleHand);
  el.muteAll.addEventListener('click', () => { api.send({ type: 'mute_all' }); });
  el.chatForm.addEventListener('submit', sendChat);
  el.chatText.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      el.chatForm.requestSubmit(); // Shift+Enter makes a new line
      ev.preventDefault();
    }
  });

  return {
    // state is read by window.nahbar.features (tests, diagnostics).
    state: Object.freeze({
      get quality() { return Object.assign({}, st.quality); },
      get usage() { return st.usage; },
      get videoPaused() { return st.videoPaused; },
      get hint() { return st.hint; },
      get sharing() { return !!st.screenTrack; },
      get chat() { return st.chat.slice(); },
      get live() { return st.live; },
      get status() { return st.status.slice(); },
    }),
    joined() {
      st.joined = true;
      sendQuality();
      api.send(Object.assign({ type: 'device_status' }, api.device));
      showShare();
      showGroupControls();
    },
    peerStarted() {
      showShare();
    },
    stopped() {
      st.joined = false;
      if (st.screenTrack) {
        st.screenTrack.stop();
        st.screenTrack = null;
      }
      st.screenTransceiver = null;
      st.status = [];
      onVideoResumed();
      showShare();
      showGroupControls();
      renderStatus();
    },
    rosterChanged() {
      showGroupControls();
    },
    deviceChanged() {
      if (st.joined) {
        api.send(Object.assign({ type: 'device_status' }, api.device));
      }
    },
    cameraChanged() {
      applyHint();
    },
    // handle takes the messages app.js does not know; true if it did.
    async handle(msg) {
      switch (msg.type) {
        case 'usage':
          onUsage(msg);
          return true;
        case 'video_paused':
          onVideoPaused(msg.reason);
          return true;
        case 'video_resumed':
          onVideoResumed();
          return true;
        case 'publish_hint':
          st.hint = msg;
          await applyHint();
          return true;
        case 'chat':
          onChat(msg);
          return true;
        case 'chat_delete':
          onChatDelete(msg.id);
          return true;
        case 'chat_history':
          st.chat = Array.isArray(msg.messages) ? msg.messages.filter(isChatMessage) : [];
          renderChat();
          return true;
        case 'hand':
          st.handRaised = !!msg.raised;
          showGroupControls();
          return true;
        case 'mute_request':
          if (msg.audio) {
            api.muteMic(true);
            api.say(api.tr('call_muted_by_advisor', 'Your microphone was muted by the advisor.'));
          }
          return true;
        case 'promoted':
          st.live = true;
          showGroupControls();
          await api.publish();
          showShare();
          api.say(api.tr('call_promoted', 'You are live: the others can now see and hear you.'));
          return true;
        case 'demoted':
          st.live = false;
          if (st.screenTrack) {
            st.screenTrack.stop();
            st.screenTrack = null;
          }
          showGroupControls();
          await api.unpublish();
          showShare();
          api.say(api.tr('call_demoted', 'You are watching and listening again.'));
          return true;
        case 'status':
          st.status = Array.isArray(msg.connections) ? msg.connections.slice(0, 2000) : [];
          renderStatus();
          return true;
      }
      return false;
    },
  };
};
