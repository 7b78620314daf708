// The listen view: record a word from the microphone or drop a sound file; see the top classes and the
// log-mel spectrogram the network heard. It asks `page.predict`, which sends the WAV like a photo.
import { $, MAX_BYTES, renderBars, t } from "../common.js";
import { drawWave, microphoneAvailable, record, wavFile } from "../microphone.js";

export const TEXT = {
  en: {
    say: "Say a digit", record: "Record", recording: "Listening… {s} s", recordApp: "Record with the phone",
    micHint: "Press Record, then say one word within the next second and a half.",
    noMic: "This browser gives the microphone only to https:// or localhost pages: record with the phone instead.",
    micDenied: "The microphone could not start ({why}).", soundFile: "Or a sound file",
    dropSound: "Drop a WAV, FLAC, OGG or MP3 file here, or click to choose one",
    longHint: "A long clip (a song) is cut into windows; their answers are averaged.",
    listenIdle: "Record a word or drop a sound file.", thinking: "Thinking…", answer: "Answer",
    heard: "What the network heard: its log-mel spectrogram (time to the right, pitch up)",
    tooBig: "The file is over 10 MB; choose a shorter clip.", failed: "Could not reach the server.",
    windows: " · {n} windows averaged",
    meta: "{model} answered in {ms} ms on the server ({inf} ms in the network), {rt} ms round trip{win}",
  },
  zh: {
    say: "说一个数字", record: "录音", recording: "正在听… {s} 秒", recordApp: "用手机录音",
    micHint: "按下录音, 然后在一秒半之内说一个词。",
    noMic: "浏览器只允许 https:// 或 localhost 的网页使用麦克风: 请改用手机录音。",
    micDenied: "麦克风无法启动 ({why})。", soundFile: "或者一个声音文件",
    dropSound: "把 WAV、FLAC、OGG 或 MP3 文件拖到这里, 或点击选择",
    longHint: "长的片段 (如一首歌) 会被切成窗口, 各窗口的答案取平均。",
    listenIdle: "录一个词, 或上传一个声音文件。", thinking: "计算中…", answer: "结果",
    heard: "网络听到的输入: 它的对数梅尔频谱图 (时间向右, 音高向上)",
    tooBig: "文件超过 10 MB, 请换一个短一点的片段。", failed: "无法连接服务器。",
    windows: " · 平均了 {n} 个窗口",
    meta: "{model} 在服务器上用时 {ms} 毫秒 (网络前向 {inf} 毫秒), 往返 {rt} 毫秒{win}",
  },
};

const SECONDS = 1.5;  // what a spoken digit needs, with room to start late
let page = null;
let lastInput = null;
let lastResult = null;
let sequence = 0;
let busy = false;

export function accepts(model) { return model.input.kind === "sound"; }

export function mount(root, shell) {
  page = shell;
  if (microphoneAvailable()) {
    $("record").addEventListener("click", listen);
  } else {  // plain http on a classroom network: the phone's own recorder instead
    $("record").hidden = true;
    $("record-file-label").hidden = false;
    $("mic-note").textContent = t("noMic");
    $("mic-note").dataset.i18n = "noMic";
  }
  $("record-file").addEventListener("change", (event) => useFile(event.target.files[0]));
  $("sound-file").addEventListener("change", (event) => useFile(event.target.files[0]));
  const drop = $("sound-drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    useFile(event.dataTransfer.files[0]);
  });
  $("heard").addEventListener("load", () => {
    $("heard-size").textContent = `(${$("heard").naturalWidth}×${$("heard").naturalHeight})`;
  });
}

export function modelChanged() { if (lastInput) send(lastInput); }

export function relabel() { if (lastResult) showResult(lastResult.result, lastResult.roundTrip); }

async function listen() {
  if (busy) return;
  busy = true;
  $("record").disabled = true;
  try {
    const started = performance.now();
    const tick = setInterval(() => {
      const left = Math.max(0, SECONDS - (performance.now() - started) / 1000);
      $("level").textContent = t("recording", { s: left.toFixed(1) });
    }, 100);
    let sound;
    try {
      sound = await record(SECONDS);
    } finally {
      clearInterval(tick);
      $("level").textContent = "";
    }
    drawWave($("wave"), sound.samples);
    const file = wavFile(sound.samples, sound.rate);
    $("playback").src = URL.createObjectURL(file);
    $("playback").hidden = false;
    lastInput = { file };
    await send(lastInput);
  } catch (err) {
    showError(t("micDenied", { why: err.name || err.message }));
  } finally {
    busy = false;
    $("record").disabled = false;
  }
}

function useFile(file) {
  if (!file) return;
  $("playback").src = URL.createObjectURL(file);
  $("playback").hidden = false;
  if (file.size > MAX_BYTES) { showError(t("tooBig")); return; }
  lastInput = { file };
  send(lastInput);
}

async function send(input) {
  const model = page.currentModel();
  if (!model) return;
  const id = ++sequence;
  $("listen-status").textContent = t("thinking");
  const start = performance.now();
  try {
    const body = await page.predict(model.name, input, Math.min(10, model.classes.length));
    if (id !== sequence) return;
    lastResult = { result: body, roundTrip: performance.now() - start };
    showResult(body, lastResult.roundTrip);
  } catch (err) {
    if (id === sequence) showError(err.status ? err.message : t("failed"));
  }
}

function showError(message) {
  lastResult = null;
  $("listen-status").textContent = message;
  $("listen-status").classList.add("error");
  $("listen-guess").textContent = "";
  $("listen-bars").innerHTML = "";
  $("listen-meta").textContent = "";
}

function showResult(result, roundTrip) {
  $("listen-status").classList.remove("error");
  $("listen-status").textContent = "";
  $("listen-guess").textContent = result.top[0].label;
  renderBars($("listen-bars"), result.top);
  $("listen-meta").textContent = t("meta", {
    model: result.model, ms: result.ms.toFixed(1), inf: result.inference_ms.toFixed(1), rt: roundTrip.toFixed(0),
    win: result.windows > 1 ? t("windows", { n: result.windows }) : "",
  });
  $("heard").src = result.input;
  $("heard-box").hidden = false;
}
