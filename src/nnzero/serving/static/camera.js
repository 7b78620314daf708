// The webcam, for every view that takes pictures (predict's live answer, teach's examples).
//
// Browsers give the camera only to pages served over https or from localhost: on a classroom network
// (http://192.168...) navigator.mediaDevices is missing. Views then offer
// <input type="file" accept="image/*" capture="environment">, which opens a phone's own camera app.

export function cameraAvailable() {
  return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

export class Camera {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.canvas = document.createElement("canvas");
  }

  get running() { return this.stream !== null; }

  async start() {
    if (this.stream) return;
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "environment" }, audio: false,
    });
    this.video.srcObject = this.stream;
    await this.video.play();
  }

  stop() {
    if (!this.stream) return;
    this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  // One frame as a JPEG blob, its longer side at most maxSide pixels (640x480 from a usual webcam).
  frame(maxSide = 640, quality = 0.85) {
    const { videoWidth: w, videoHeight: h } = this.video;
    if (!this.stream || !w || !h) return Promise.resolve(null);
    const scale = Math.min(1, maxSide / Math.max(w, h));
    this.canvas.width = Math.round(w * scale);
    this.canvas.height = Math.round(h * scale);
    this.canvas.getContext("2d").drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    return new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", quality));
  }
}
