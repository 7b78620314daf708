"""`nnzero teach DIR`: teach a model your own classes from the browser (needs nnzero[web,transfer]).

nnzero teach my_classes                       # then open the printed http://127.0.0.1:8000/?token=...
nnzero teach my_classes --host 0.0.0.0        # phones in the classroom: they open the printed address
nnzero teach my_classes --model runs/NAME     # with other models to compare beside it
nnzero teach my_classes --dry-run             # the whole loop on a copy of a few examples, in seconds
"""

from __future__ import annotations

import io
import secrets
import shutil
import socket
import tempfile
import warnings
from pathlib import Path

from nnzero.commands._common import add_command, emit_json, say
from nnzero.commands.serve import add_server_options, list_models, web
from nnzero.errors import NnzeroError
from nnzero.i18n import tr

DRY_RUN_EXAMPLES = 4  # of each of two classes


def register(sub) -> None:
    p = add_command(
        sub,
        "teach",
        "teach a model your own classes in the browser: take photos, train in seconds, watch it guess live",
        "在浏览器里教模型认识你自己的类别: 拍照片, 几秒钟训练好, 实时看它猜",
        [
            "nnzero teach my_classes",
            "nnzero teach my_classes --host 0.0.0.0 --port 8080",
            "nnzero teach my_classes --model runs/mnist-fastcnn/best.pt",
            "nnzero teach my_classes --dry-run",
            "nnzero train photos --data-dir my_classes      # the same folder, from the command line",
        ],
        run,
    )
    p.add_argument(
        "teach",
        metavar="DIR",
        help=tr(
            "the project folder: one sub-folder of photos per class (made if missing); runs go to DIR/runs/",
            "项目文件夹: 每个类别一个照片子文件夹 (不存在则创建); 训练结果在 DIR/runs/",
        ),
    )
    add_server_options(p)


def run(args) -> int:
    return serve_teach(args)


def serve_teach(args) -> int:
    """`nnzero teach DIR` and `nnzero serve --teach DIR`: the page with the Teach view, on this project."""
    uvicorn, create_app = web()
    from nnzero.serving.teach import Teacher

    if args.dry_run:
        result = dry_run(args, create_app, Teacher)
        say(args, tr("dry run: the whole loop answered; not serving", "试运行: 整个流程都已应答; 不启动服务"))
        if args.json:
            emit_json(result)
        return 0
    token = args.token or secrets.token_urlsafe(24)
    teacher = Teacher(args.teach, backbone=args.backbone)
    app = create_app(
        args.model, device=args.device, threads=args.threads, max_concurrent=args.max_concurrent,
        precision=args.precision, teach=teacher, token=token,
    )  # fmt: skip
    list_models(args, app)
    counts = teacher.project.counts()
    say(
        args,
        tr(
            "project {dir}: {n} classes, {k} examples; runs go to {dir}/runs",
            "项目 {dir}: {n} 个类别, {k} 个样本; 训练结果保存在 {dir}/runs",
            dir=teacher.root,
            n=len(counts),
            k=sum(counts.values()),
        ),
    )
    for url in addresses(args.host, args.port, token):
        say(args, tr("open {url} (Ctrl-C stops the server)", "打开 {url} (Ctrl-C 停止服务)", url=url))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def addresses(host: str, port: int, token: str) -> list[str]:
    """The page's address with its token; for 0.0.0.0, this machine's address on the network too."""
    shown = ["127.0.0.1", _lan_address()] if host in ("0.0.0.0", "::", "") else [host]
    return [f"http://{h}:{port}/?token={token}" for h in shown if h]


def _lan_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # a documentation address: nothing is sent, it only picks the route
            return s.getsockname()[0]
    except OSError:
        return None


def dry_run(args, create_app, Teacher) -> dict:
    """Add a few examples to a copy of the project, train, predict, delete: DIR itself is not touched."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with")
        from fastapi.testclient import TestClient
    token = "dry-run"
    with tempfile.TemporaryDirectory(prefix="nnzero-teach-dry-run-") as tmp:
        teacher = Teacher(Path(tmp) / (Path(args.teach).name or "project"), backbone=args.backbone)
        app = create_app(args.model, device=args.device, threads=args.threads, teach=teacher, token=token)
        auth = {"Authorization": f"Bearer {token}"}
        with TestClient(app, raise_server_exceptions=False) as client:
            for path in ("/api/teach", "/api/views", "/static/views/teach.js", "/openapi.json"):
                _ok(client.get(path), path)
            if client.post("/api/teach/train").status_code != 401:
                raise NnzeroError("dry run: a write without the token was not refused")
            ids = []
            for label, files in sample_examples(Path(args.teach)).items():
                answer = client.post(
                    "/api/teach/examples", params={"label": label}, files=files, headers=auth
                )
                ids += _ok(answer, "/api/teach/examples")["ids"]
            trained = _ok(client.post("/api/teach/train", headers=auth), "/api/teach/train")
            name, image = trained["model"], files[0][1]
            top = _ok(client.post(f"/api/predict/{name}", files={"image": image}), "/api/predict")["top"]
            _ok(client.delete(f"/api/teach/examples/{ids[0]}", headers=auth), "DELETE /api/teach/examples")
        shutil.rmtree(teacher.root, ignore_errors=True)
    return {"dry_run": True, "examples": len(ids), "val_accuracy": trained["val_accuracy"], "prediction": top}


def sample_examples(root: Path) -> dict[str, list]:
    """A few photos of two of the project's classes as uploads; two classes of shipped digits without."""
    from nnzero.datasets.decode import is_image_file
    from nnzero.datasets.foldertree import find_classes

    found = {}
    if root.is_dir():
        for label in find_classes(root)[:2]:
            photos = sorted(p for p in (root / label).iterdir() if is_image_file(p.name))[:DRY_RUN_EXAMPLES]
            if photos:
                found[label] = [("file", (p.name, p.read_bytes())) for p in photos]
    if len(found) == 2:
        return found
    from PIL import Image

    from nnzero.datasets.mnist import load_arrays

    images, labels = load_arrays("test")
    digits = {}
    for digit in ("0", "1"):
        for i, array in enumerate(images[labels == int(digit)][:DRY_RUN_EXAMPLES]):
            buffer = io.BytesIO()
            Image.fromarray(array).resize((112, 112)).save(buffer, format="PNG")
            digits.setdefault(digit, []).append(("file", (f"{digit}-{i}.png", buffer.getvalue())))
    return digits


def _ok(response, what: str) -> dict:
    if response.status_code != 200:
        raise NnzeroError(f"{what}: {response.status_code} {response.text[:300]}")
    return response.json() if "json" in response.headers.get("content-type", "") else {}
