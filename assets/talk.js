// "Talk to it" on the voice agent page: the microphone speaks to the agent through
// the bridge, as a phone would. The page streams 8 kHz mu-law in 20 ms frames in the
// Media Streams format over WS /talk (the session cookie goes with it), plays what
// the agent says, echoes each mark once the audio before it has played, and on
// `clear` (the caller spoke over the agent) stops playing at once. Each line of the
// conversation is shown as it is said.
(function () {
  if (window.crmTalk) return;
  const RATE = 8000;
  const FRAME = 160; // 20 ms at 8 kHz
  let call = null;

  function encodeSample(sample) {
    // G.711 mu-law, from a float in [-1, 1].
    const BIAS = 0x84;
    const CLIP = 32635;
    let pcm = Math.max(-1, Math.min(1, sample)) * 32767;
    const sign = pcm < 0 ? 0x80 : 0;
    if (sign) pcm = -pcm;
    pcm = Math.min(CLIP, pcm) + BIAS;
    let exponent = 7;
    for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (pcm >> (exponent + 3)) & 0x0f;
    return ~(sign | (exponent << 4) | mantissa) & 0xff;
  }

  function decodeByte(byte) {
    const u = ~byte & 0xff;
    const sign = u & 0x80;
    const exponent = (u >> 4) & 0x07;
    const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
    return (sign ? -magnitude : magnitude) / 32768;
  }

  function toBase64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  function fromBase64(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function setStatus(text) {
    const el = document.getElementById("talk-status");
    if (el) el.textContent = text;
  }

  function showLine(line) {
    const box = document.getElementById("talk-lines");
    if (!box) return;
    const row = document.createElement("div");
    row.setAttribute("data-testid", "talk-line");
    row.setAttribute("data-speaker", line.speaker);
    const who = document.createElement("b");
    who.textContent = (box.dataset[line.speaker] || line.speaker) + ": ";
    row.appendChild(who);
    row.appendChild(document.createTextNode(line.text));
    box.appendChild(row);
  }

  class Call {
    constructor() {
      this.streamSid = "";
      this.callId = 0;
      this.pending = []; // [mark name, timer] not yet played
      this.sources = new Set();
      this.playhead = 0;
      this.carry = new Float32Array(0);
      this.outgoing = [];
    }

    async start() {
      const box = document.getElementById("talk-lines");
      if (box) box.replaceChildren();
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: {channelCount: 1, echoCancellation: true, noiseSuppression: true},
      });
      this.context = new AudioContext();
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      this.ws = new WebSocket(`${scheme}://${location.host}/talk`);
      this.ws.onmessage = (event) => this.onMessage(JSON.parse(event.data));
      this.ws.onclose = () => this.ended();
      const input = this.context.createMediaStreamSource(this.stream);
      this.processor = this.context.createScriptProcessor(2048, 1, 1);
      this.processor.onaudioprocess = (event) => this.capture(event.inputBuffer.getChannelData(0));
      input.connect(this.processor);
      this.processor.connect(this.context.destination); // keeps it running; it outputs silence
      setStatus(box ? box.dataset.connecting || "" : "");
    }

    capture(samples) {
      if (!this.streamSid || this.ws.readyState !== WebSocket.OPEN) return;
      // Down to 8 kHz by averaging each output sample's span of input samples.
      const joined = new Float32Array(this.carry.length + samples.length);
      joined.set(this.carry);
      joined.set(samples, this.carry.length);
      const step = this.context.sampleRate / RATE;
      const count = Math.floor(joined.length / step);
      for (let i = 0; i < count; i++) {
        const from = Math.floor(i * step);
        const to = Math.floor((i + 1) * step);
        let sum = 0;
        for (let j = from; j < to; j++) sum += joined[j];
        this.outgoing.push(encodeSample(sum / Math.max(1, to - from)));
      }
      this.carry = joined.slice(Math.floor(count * step));
      while (this.outgoing.length >= FRAME) {
        const frame = Uint8Array.from(this.outgoing.splice(0, FRAME));
        this.send({event: "media", streamSid: this.streamSid, media: {payload: toBase64(frame)}});
      }
    }

    send(message) {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
    }

    onMessage(message) {
      if (message.event === "start") {
        this.streamSid = message.streamSid;
        this.callId = message.start.callId;
        const box = document.getElementById("talk-lines");
        setStatus(box ? box.dataset.live || "" : "");
      } else if (message.event === "media") {
        this.play(fromBase64(message.media.payload));
      } else if (message.event === "mark") {
        this.markWhenPlayed(message.mark.name);
      } else if (message.event === "clear") {
        this.clear();
      } else if (message.event === "line") {
        showLine(message.line);
      }
    }

    play(bytes) {
      const buffer = this.context.createBuffer(1, bytes.length, RATE);
      const channel = buffer.getChannelData(0);
      for (let i = 0; i < bytes.length; i++) channel[i] = decodeByte(bytes[i]);
      const source = this.context.createBufferSource();
      source.buffer = buffer;
      source.connect(this.context.destination);
      this.playhead = Math.max(this.playhead, this.context.currentTime);
      source.start(this.playhead);
      this.playhead += buffer.duration;
      this.sources.add(source);
      source.onended = () => this.sources.delete(source);
    }

    markWhenPlayed(name) {
      const wait = Math.max(0, this.playhead - this.context.currentTime) * 1000;
      const entry = [name, 0];
      entry[1] = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry);
        this.send({event: "mark", streamSid: this.streamSid, mark: {name}});
      }, wait);
      this.pending.push(entry);
    }

    clear() {
      for (const source of this.sources) source.stop();
      this.sources.clear();
      this.playhead = this.context.currentTime;
      // As Twilio does: the marks of audio that will never play come back at once.
      for (const [name, timer] of this.pending) {
        clearTimeout(timer);
        this.send({event: "mark", streamSid: this.streamSid, mark: {name}});
      }
      this.pending = [];
    }

    stop() {
      this.send({event: "stop", streamSid: this.streamSid});
      this.ws.close(1000);
    }

    ended() {
      for (const [, timer] of this.pending) clearTimeout(timer);
      if (this.processor) this.processor.disconnect();
      if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
      if (this.context) setTimeout(() => this.context.close(), 2000);
      const box = document.getElementById("talk-lines");
      setStatus(box ? box.dataset.ended || "" : "");
      const link = document.getElementById("talk-call-link");
      if (link && this.callId) {
        link.href = `/calls?call=${this.callId}`;
        link.hidden = false;
      }
      if (call === this) call = null;
      document.dispatchEvent(new CustomEvent("crm-talk-ended"));
    }
  }

  window.crmTalk = {
    async start() {
      if (call) return;
      call = new Call();
      try {
        await call.start();
      } catch (error) {
        call = null;
        const box = document.getElementById("talk-lines");
        setStatus((box ? box.dataset.nomic || "" : "") + " " + error.name);
      }
    },
    stop() {
      if (call) call.stop();
    },
  };
})();
