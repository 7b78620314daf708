// Examples on their way to the server: one request at a time, so the counts grow as each lands, and the
// frames of one held capture share the burst the first frame got back (they are held out together).
import { MAX_BYTES, api, t } from "../common.js";

const BATCH_FILES = 16;  // dropped files go up a few at a time, well under the server's 10 MB a request

export class Uploads {
  // added(answer) for each answer, problem(label, message) for what was refused, idle() when all are sent
  constructor(added, problem, idle) {
    Object.assign(this, { added, problem, idle, queue: [], sending: null, inFlight: 0 });
  }

  waitingFor(label) {  // files of this class not answered yet
    const queued = this.queue.filter((item) => item.label === label).reduce((n, item) => n + item.files.length, 0);
    return queued + (this.sending === label ? this.inFlight : 0);
  }

  add(label, files, capture = null) {
    const problems = [];
    const good = files.filter((file) => {
      if (file.size > MAX_BYTES) problems.push(t("tooBig", { name: file.name }));
      else if (file.type && !file.type.startsWith("image/")) problems.push(t("notImage", { name: file.name }));
      else return true;
      return false;
    });
    this.problem(label, problems.join("; "));
    for (let i = 0; i < good.length; i += BATCH_FILES) {
      this.queue.push({ label, files: good.slice(i, i + BATCH_FILES), capture });
    }
    this.pump();
  }

  async pump() {
    if (this.sending !== null) return;
    while (this.queue.length) {
      const item = this.queue.shift();
      this.sending = item.label;
      this.inFlight = item.files.length;
      const query = new URLSearchParams({ label: item.label });
      if (item.capture && item.capture.burst) query.set("burst", item.capture.burst);
      const form = new FormData();
      for (const file of item.files) form.append("file", file, file.name || "capture.jpg");
      try {
        const answer = await api(`/api/teach/examples?${query}`, { method: "POST", body: form });
        if (item.capture) item.capture.burst = item.capture.burst || answer.burst;
        this.added(answer);
      } catch (err) {
        this.problem(item.label, err.status ? err.message : t("noServer"));
      }
    }
    this.sending = null;
    this.inFlight = 0;
    this.idle();
  }
}

export async function droppedFiles(transfer) {
  // a dropped folder arrives as an entry to walk; the entries must be taken before the first await
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length) return [...transfer.files];
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files.filter((file) => !file.name.startsWith("."));
}
