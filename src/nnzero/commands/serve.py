"""`nnzero serve`: a web page to draw digits and drop photos, and an HTTP API (needs `pip install nnzero[web]`).

nnzero serve --model runs/NAME/best.pt                      # then open http://127.0.0.1:8000
nnzero serve --model runs/mnist/best.pt --model runs/catsdogs/best.pt --port 8080
nnzero serve --model digits=runs/NAME/best.pt               # the model is called "digits" in the API
nnzero serve --model runs/NAME/best.pt --dry-run            # load, check every route, do not serve
nnzero serve --model runs/NAME/best.pt --teach my_classes   # and the Teach view (commands/teach.py)
curl -F image=@my_digit.jpg http://127.0.0.1:8000/api/predict/NAME
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

from nnzero.commands._common import add_command, add_dry_run, add_json, add_precision, emit_json, say
from nnzero.errors import NnzeroError
from nnzero.i18n import tr


def register(sub) -> None:
    p = add_command(
        sub,
        "serve",
        "serve a web page and an HTTP API that predict with your checkpoints",
        "启动网页和 HTTP 接口, 用你的检查点做预测",
        [
            "nnzero serve --model runs/NAME/best.pt",
            "nnzero serve --model runs/mnist/best.pt --model runs/catsdogs/best.pt --port 8080",
            "nnzero serve --model runs/NAME/best.pt --teach my_classes    # and the Teach view (nnzero teach)",
            "nnzero serve --model runs/NAME/best.pt --dry-run",
            "nnzero serve --model runs/pets/best.pt --precision fp32",
        ],
        run,
    )
    p.add_argument(
        "--teach",
        metavar="DIR",
        help=tr(
            "also offer the Teach view on this project folder (see nnzero teach --help)",
            "同时在这个项目文件夹上提供“教它”视图 (见 nnzero teach --help)",
        ),
    )
    add_server_options(p)


def add_server_options(p) -> None:
    """What `serve` and `teach` share: the models, the address, the token, threads, --json, --dry-run."""
    p.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="[NAME=]PATH",
        help=tr(
            "a checkpoint (.pt) or run folder; repeat for several models",
            "检查点 (.pt) 或运行目录; 可重复以加载多个模型",
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help=tr("address to listen on", "监听地址"))
    p.add_argument("--port", type=int, default=8000, help=tr("port to listen on", "监听端口"))
    p.add_argument(
        "--token",
        help=tr(
            "Teach: the token every change to the project needs (default: a new random one)",
            "教它: 修改项目所需的令牌 (默认: 随机生成)",
        ),
    )
    p.add_argument(
        "--backbone",
        default="efficientnet_lite0",
        choices=("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"),
        help=tr(
            "Teach: the frozen ImageNet backbone its trainings use (default: lite0, the fastest)",
            "教它: 训练使用的冻结 ImageNet 骨干网络 (默认: lite0, 最快)",
        ),
    )
    p.add_argument(
        "--threads",
        type=int,
        help=tr(
            "torch threads per prediction (default: half the cores, max 4)",
            "每次预测使用的 torch 线程数 (默认: 核数的一半, 最多 4)",
        ),
    )
    p.add_argument(
        "--max-concurrent",
        type=int,
        help=tr(
            "predictions computed at once (default: cores / threads)",
            "同时计算的预测数 (默认: 核数 / 线程数)",
        ),
    )
    p.add_argument(
        "--device",
        default="cpu",
        help=tr("cpu (default), cuda, mps or auto", "cpu (默认), cuda, mps 或 auto"),
    )
    add_precision(p)
    add_json(p)
    add_dry_run(p)


def web():
    """(uvicorn, create_app), or a clear error naming the extra to install."""
    try:
        import uvicorn

        from nnzero.serving.app import create_app
    except ImportError as e:
        raise NnzeroError(
            tr(
                "the web app needs extra packages ({e}): pip install 'nnzero[web]'",
                "网页服务需要额外的包 ({e}): pip install 'nnzero[web]'",
                e=e,
            )
        ) from None
    return uvicorn, create_app


def run(args) -> int:
    if args.teach:
        from nnzero.commands.teach import serve_teach

        return serve_teach(args)
    if not args.model:
        raise NnzeroError(_no_model_hint())
    uvicorn, create_app = web()
    app = create_app(
        args.model, device=args.device, threads=args.threads, max_concurrent=args.max_concurrent,
        precision=args.precision,
    )  # fmt: skip
    list_models(args, app)
    if args.dry_run:
        result = check_app(app)
        say(args, tr("dry run: every route answered; not serving", "试运行: 所有路由都已应答; 不启动服务"))
        if args.json:
            emit_json(result)
        return 0
    say(
        args,
        tr(
            "open http://{host}:{port} in a browser (Ctrl-C stops the server)",
            "在浏览器中打开 http://{host}:{port} (Ctrl-C 停止服务)",
            host=args.host,
            port=args.port,
        ),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def list_models(args, app) -> None:
    for name, predictor in app.state.service.models.items():
        say(
            args,
            tr(
                "model {name}: {path} ({n} classes)",
                "模型 {name}: {path} ({n} 个类别)",
                name=name,
                path=predictor.checkpoint["path"],
                n=len(predictor.classes),
            ),
        )


def check_app(app) -> dict:
    """Call every route in-process, without a socket, and predict one real MNIST test digit per model."""
    from PIL import Image

    from nnzero.datasets.mnist import load_arrays

    buffer = io.BytesIO()
    Image.fromarray(load_arrays("test")[0][0]).save(buffer, format="PNG")  # test digit 0: a 7
    answers = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with")  # starlette would rather have httpx2
        from fastapi.testclient import TestClient
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in (
            "/healthz",
            "/api/models",
            "/api/views",
            "/",
            "/docs",
            "/openapi.json",
            "/static/shell.js",
        ):
            _expect_ok(client.get(path), path)
        for name in app.state.service.models:
            response = client.post(
                f"/api/predict/{name}", content=buffer.getvalue(), headers={"Content-Type": "image/png"}
            )
            _expect_ok(response, f"/api/predict/{name}")
            answers[name] = response.json()["top"]
    return {"dry_run": True, "models": answers}


def _expect_ok(response, path: str) -> None:
    if response.status_code != 200:
        raise NnzeroError(f"GET/POST {path}: {response.status_code} {response.text[:300]}")


def _no_model_hint() -> str:
    found = sorted(str(p) for p in Path("runs").glob("*/best.pt"))[:5]
    hint = tr(
        "no model given. Train one first (`nnzero train mnist` writes runs/NAME/best.pt), "
        "then: nnzero serve --model runs/NAME/best.pt",
        "没有指定模型。请先训练一个 (`nnzero train mnist` 会写出 runs/NAME/best.pt), "
        "然后: nnzero serve --model runs/NAME/best.pt",
    )
    if found:
        hint += "\n" + tr("checkpoints found here: ", "当前目录下找到的检查点: ") + ", ".join(found)
    return hint
