"""The web app's HTTP API, in-process: every route, every error code, real digits and real photos."""

from __future__ import annotations

import io
import json
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from nnzero.cli import main
from nnzero.datasets.digit_photos import prepare_digit
from nnzero.datasets.images import open_image
from nnzero.serving.app import STATIC, create_app

from ._web import DIGITS, MNIST_7, canvas_from_digit, decode_data_url

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with")  # starlette would rather have httpx2
    from fastapi.testclient import TestClient

MB = 1024 * 1024


@pytest.fixture(scope="module")
def client(small_checkpoint):
    with TestClient(create_app([small_checkpoint]), raise_server_exceptions=False) as c:
        yield c


def predict(client, model="small", **kwargs):
    return client.post(f"/api/predict/{model}", **kwargs)


def upload(path):
    return {"files": {"image": (path.name, path.read_bytes(), "application/octet-stream")}}


def test_health_and_models_describe_the_checkpoint(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["models"] == ["small"] and health["version"] == "0.1.0"
    assert 1 <= health["torch_threads"] <= 4 and health["max_concurrent"] >= 1
    (info,) = client.get("/api/models").json()
    assert info["name"] == "small" and info["architecture"] == "mlp128" and info["dataset"] == "mnist"
    assert info["classes"] == [str(d) for d in range(10)]
    assert info["input"] == {"kind": "digits", "channels": 1, "size": 28}
    assert 0.88 < info["metrics"]["test_accuracy"] < 1 and info["parameters"] == 101_770


def test_page_and_docs_are_served_and_need_no_internet(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/shell.js" in page.text
    assert client.get("/api/views").json() == [{"name": "predict", "title": "Predict", "title_zh": "识别"}]
    predict_view = client.get("/static/views/predict.html")
    assert predict_view.status_code == 200 and '<canvas id="canvas"' in predict_view.text
    for name in ("shell.js", "common.js", "camera.js", "views/predict.js", "style.css", "docs.js"):
        assert client.get(f"/static/{name}").status_code == 200
    for path in STATIC.rglob("*.*"):  # no CDN: nothing the page loads comes from another host
        text = path.read_text()
        assert 'src="http' not in text and 'href="http' not in text and "url(http" not in text, path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/predict/{model}"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json", "image/png"} <= set(body)
    assert {"/healthz", "/api/models"} <= set(spec["paths"])
    assert "swagger-ui" in client.get("/docs/swagger").text


def test_a_real_mnist_digit_is_predicted_and_its_prepared_input_returned(client):
    answer = predict(client, params={"top": 10}, **upload(MNIST_7))
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["model"] == "small" and result["top"][0]["label"] == "7" and result["top"][0]["prob"] > 0.9
    assert len(result["top"]) == 10 and abs(sum(t["prob"] for t in result["top"]) - 1) < 1e-4
    assert 0 < result["inference_ms"] <= result["ms"]
    seen = decode_data_url(result["input"])  # (28, 28): exactly what the network was given
    assert np.array_equal(seen, prepare_digit(open_image(MNIST_7)))


@pytest.mark.parametrize("name", ["d7_0_paper.jpg", "d0_3_rotated.jpg", "d2_1_large.jpg"])
def test_photos_of_real_digits_are_predicted(client, name):
    result = predict(client, **upload(DIGITS / name)).json()
    assert result["top"][0]["label"] == name[1]  # d<label>_<index>_<variant>
    assert decode_data_url(result["input"]).shape == (28, 28)


def test_canvas_json_and_raw_body_are_accepted(client):
    drawn = predict(client, json={"canvas": canvas_from_digit(MNIST_7)})
    assert drawn.status_code == 200 and drawn.json()["top"][0]["label"] == "7"
    bare = canvas_from_digit(MNIST_7).split(",", 1)[1]  # base64 without the data: prefix
    assert predict(client, json={"canvas": bare}).json()["top"][0]["label"] == "7"
    raw = predict(client, content=MNIST_7.read_bytes(), headers={"Content-Type": "image/png"})
    assert raw.json()["top"][0]["label"] == "7"


def bomb_png() -> bytes:
    """A real 8000x6000 PNG (48 megapixels): a few kilobytes on the wire, 48 MB once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, format="PNG")
    return buffer.getvalue()


def blank_canvas() -> str:
    import base64

    buffer = io.BytesIO()
    Image.new("RGBA", (280, 280), (0, 0, 0, 0)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_bad_input_gets_the_right_code_and_a_clear_json_error(client):
    big = predict(client, files={"image": ("big.jpg", b"\xff" * (11 * MB), "image/jpeg")})
    assert big.status_code == 413 and "10 MB" in big.json()["error"]
    noise = np.random.default_rng(0).integers(0, 256, (1800, 1800, 3), dtype=np.uint8)  # (1800, 1800, 3)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, format="PNG", compress_level=0)
    assert 9 * MB < len(buffer.getvalue()) < 10 * MB
    under = predict(client, files={"image": ("noise.png", buffer.getvalue(), "image/png")})
    # just under the limit: read, decoded and prepared (pure noise has no digit in it, so 422 "no ink")
    assert under.status_code == 422 and "no ink" in under.json()["error"]
    chunks = (b"\x89PNG" + b"\0" * MB for _ in range(11))  # no Content-Length: counted while reading
    streamed = predict(client, content=chunks, headers={"Content-Type": "image/png"})
    assert streamed.status_code == 413 and "content-length" not in streamed.request.headers

    text = predict(client, files={"image": ("notes.txt", b"just some text\n" * 20, "text/plain")})
    assert text.status_code == 415 and "not an image" in text.json()["error"]
    jpeg = (DIGITS / "d7_0_paper.jpg").read_bytes()
    truncated = predict(client, files={"image": ("cut.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")})
    assert truncated.status_code == 422 and "truncated" in truncated.json()["error"]
    bomb = bomb_png()
    assert len(bomb) < 100_000
    refused = predict(client, files={"image": ("bomb.png", bomb, "image/png")})
    assert refused.status_code == 422 and "48.0 megapixels" in refused.json()["error"]
    empty = predict(client, files={"image": ("empty.png", b"", "image/png")})
    assert empty.status_code == 415

    blank = predict(client, json={"canvas": blank_canvas()})
    assert blank.status_code == 422 and "no ink" in blank.json()["error"]
    assert predict(client, json={"canvas": "data:image/png;base64,%%%"}).status_code == 422
    assert predict(client, json={"picture": "x"}).status_code == 422
    assert (
        predict(client, content=b"{not json", headers={"Content-Type": "application/json"}).status_code == 422
    )
    assert predict(client, files={"other": ("", b"")}, data={"note": "hi"}).status_code == 422
    wrong_type = predict(client, content=b"hello", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415 and "multipart/form-data" in wrong_type.json()["error"]

    unknown = predict(client, model="nope", **upload(MNIST_7))
    assert unknown.status_code == 404 and "small" in unknown.json()["error"]
    top_zero = predict(client, params={"top": 0}, **upload(MNIST_7))
    assert top_zero.status_code == 422 and "top" in top_zero.json()["error"]
    assert client.get("/nowhere").json() == {"error": "Not Found"}
    assert client.get("/api/predict/small").status_code == 405
    # still serving, and still right
    assert client.get("/healthz").status_code == 200
    assert predict(client, **upload(MNIST_7)).json()["top"][0]["label"] == "7"


def test_concurrent_requests_all_get_their_own_answer(client):
    files = [
        DIGITS / n for n in ("d7_0_paper.jpg", "d0_3_rotated.jpg", "mnist_test_0_7.png", "d2_1_large.jpg")
    ]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda p: (p, predict(client, **upload(p))), files * 4))
    for path, answer in answers:
        assert answer.status_code == 200
        expected = "7" if path.name.startswith(("d7", "mnist")) else path.name[1]
        assert answer.json()["top"][0]["label"] == expected


def test_a_real_pet_photo_goes_to_a_three_channel_model(photo_checkpoint, pet_photos, small_checkpoint):
    app = create_app([photo_checkpoint, f"digits={small_checkpoint}"])
    with TestClient(app) as client:
        models = {m["name"]: m for m in client.get("/api/models").json()}
        assert set(models) == {"pets", "digits"}
        assert models["pets"]["input"] == {"kind": "photos", "channels": 3, "size": 32}
        for photo in (pet_photos["cat"][0], pet_photos["dog"][-1]):
            result = predict(client, "pets", **upload(photo)).json()
            assert {t["label"] for t in result["top"]} == {"cat", "dog"}
            assert abs(sum(t["prob"] for t in result["top"]) - 1) < 1e-4
            assert decode_data_url(result["input"]).shape == (32, 32, 3)
        drawn = predict(
            client, "pets", json={"canvas": canvas_from_digit(MNIST_7)}
        ).json()  # prepared as a photo
        assert len(drawn["top"]) == 2 and decode_data_url(drawn["input"]).shape == (32, 32, 3)
        # a photo sent to the digit model is still answered: digits, or a clear JSON error; never a crash
        answer = predict(client, "digits", **upload(pet_photos["dog"][0]))
        assert answer.status_code in (200, 422), answer.text
        if answer.status_code == 200:
            assert {t["label"] for t in answer.json()["top"]} <= set("0123456789")
        else:
            assert answer.json()["error"]


def test_model_names_are_unique(small_checkpoint):
    app = create_app([small_checkpoint, small_checkpoint.parent, f"mine={small_checkpoint}"])
    assert list(app.state.service.models) == ["small", "small-2", "mine"]


def test_serve_command(small_checkpoint, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 2
    assert "no model given" in capsys.readouterr().err
    assert main(["serve", "--model", str(small_checkpoint), "--dry-run", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["dry_run"] is True and result["models"]["small"][0]["label"] == "7"
    (tmp_path / "not.pt").write_bytes(b"not a checkpoint")
    assert main(["serve", "--model", "not.pt", "--dry-run"]) == 2
    assert "not an nnzero checkpoint" in capsys.readouterr().err
    assert main(["--lang", "zh", "serve"]) == 2
    assert "没有指定模型" in capsys.readouterr().err


def test_every_status_the_predict_route_gives_is_in_its_schema(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/predict/{model}"]["post"]
    (model,) = [p for p in post["parameters"] if p["name"] == "model"]
    assert model["schema"]["enum"] == ["small"]
    (top,) = [p for p in post["parameters"] if p["name"] == "top"]
    assert (top["schema"]["minimum"], top["schema"]["maximum"]) == (1, 1000)
    assert post["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["image"]
    documented = {int(code) for code in post["responses"]}
    assert documented == {200, 400, 404, 413, 415, 422}
    broken = predict(
        client,
        content=b"--xyz\r\nContent-Disposition: form-data\r\n\r\nno name--",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert broken.status_code in documented and broken.status_code == 400, broken.text
    assert "multipart" in broken.json()["error"]
