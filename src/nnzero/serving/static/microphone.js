// The microphone, for every view that listens: record a few seconds of raw sound and make it a WAV file.
//
// Browsers give the microphone only to pages served over https or from localhost (as the camera). The
// samples are taken as they arrive (an AudioWorklet, no compression), mixed to mono, and written as a
// 16-bit PCM WAV at the sound card's rate: the server resamples it to what the model was trained on.

export function microphoneAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.AudioWorkletNode);
}

// A worklet that hands every block of samples (the first channel) to the page.
const WORKLET = `
registerProcessor("nnzero-tap", class extends AudioWorkletProcessor {
  process(inputs) {
    if (inputs[0] && inputs[0][0]) this.port.postMessage(inputs[0][0].slice(0));
    return true;
  }
});`;

// Record `seconds` of sound; `onLevel(peak)` is called as blocks arrive (a meter). Resolves to
// {samples: Float32Array, rate}.
export async function record(seconds, onLevel = () => {}) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false }, video: false,
  });
  const context = new AudioContext();
  try {
    const url = URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" }));
    await context.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    await context.resume();
    const source = context.createMediaStreamSource(stream);
    const tap = new AudioWorkletNode(context, "nnzero-tap");
    const blocks = [];
    const wanted = Math.round(seconds * context.sampleRate);
    let have = 0;
    await new Promise((resolve) => {
      tap.port.onmessage = (event) => {
        if (have >= wanted) return;
        blocks.push(event.data);
        have += event.data.length;
        onLevel(event.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
        if (have >= wanted) resolve();
      };
      source.connect(tap);
    });
    source.disconnect();
    const samples = new Float32Array(wanted);
    let at = 0;
    for (const block of blocks) {
      samples.set(block.subarray(0, Math.min(block.length, wanted - at)), at);
      at += block.length;
      if (at >= wanted) break;
    }
    return { samples, rate: context.sampleRate };
  } finally {
    stream.getTracks().forEach((track) => track.stop());
    context.close();
  }
}

// Float samples in [-1, 1] as a mono 16-bit PCM WAV file.
export function wavFile(samples, rate, name = "recording.wav") {
  const data = new DataView(new ArrayBuffer(44 + 2 * samples.length));
  const text = (at, s) => { for (let i = 0; i < s.length; i++) data.setUint8(at + i, s.charCodeAt(i)); };
  text(0, "RIFF"); data.setUint32(4, 36 + 2 * samples.length, true); text(8, "WAVE");
  text(12, "fmt "); data.setUint32(16, 16, true); data.setUint16(20, 1, true); data.setUint16(22, 1, true);
  data.setUint32(24, rate, true); data.setUint32(28, 2 * rate, true); data.setUint16(32, 2, true);
  data.setUint16(34, 16, true); text(36, "data"); data.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) {
    data.setInt16(44 + 2 * i, Math.round(Math.max(-1, Math.min(1, samples[i])) * 32767), true);
  }
  return new File([data.buffer], name, { type: "audio/wav" });
}

// The waveform on a canvas: the loudest sample of each column, up and down from the middle line.
export function drawWave(canvas, samples) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = "#2f6fde";
  const per = Math.max(1, Math.floor(samples.length / width));
  for (let x = 0; x < width; x++) {
    let peak = 0;
    for (let i = x * per; i < Math.min(samples.length, (x + 1) * per); i++) peak = Math.max(peak, Math.abs(samples[i]));
    const h = Math.max(1, peak * height);
    ctx.fillRect(x, (height - h) / 2, 1, h);
  }
}
