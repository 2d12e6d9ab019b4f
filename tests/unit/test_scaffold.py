"""Generating services with copier and updating them with local edits kept (no servers)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ecomctl.errors import UsageError, UserError
from ecomctl.scaffold import add_service, generate_service, init_workspace, update_services
from ecomctl.scaffold import git as scaffold_git
from ecomctl.stack.loader import load_stack
from ecomctl.stack.model import ServiceSpec
from ecomctl.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "templates"


def fixture_templates(tmp_path: Path) -> Path:
    """The demo template, also under the name of every kind the default stack enables."""
    root = tmp_path / "templates"
    shutil.copytree(FIXTURES, root)
    for spec in load_stack().services.values():
        if spec.enabled and not (root / spec.template).exists():
            shutil.copytree(FIXTURES / "demo", root / spec.template)
    return root


@pytest.fixture
def templates_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the fixture templates, so a test may change them."""
    root = fixture_templates(tmp_path)
    monkeypatch.setenv("ECOMCTL_TEMPLATES_DIR", str(root))
    return root


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(root=tmp_path / "ws")


def test_generate_renders_the_template_and_commits_it(templates_root: Path, ws: Workspace) -> None:
    result = generate_service(
        workspace=ws, name="shop", spec=ServiceSpec(port=8123, template="demo")
    )
    assert result.path == ws.root / "services" / "shop"
    assert (result.path / "README.md").read_text().startswith("# shop\n\nListens on port 8123.")
    assert (result.path / "src" / "demo" / "handlers.py").is_file()
    answers = yaml.safe_load((result.path / ".copier-answers.yml").read_text())
    assert answers["service_name"] == "shop" and answers["port"] == 8123
    assert answers["_commit"] == result.template_version
    assert scaffold_git.dirty_paths(ws.root, result.path) == []
    assert (ws.root / ".gitignore").read_text().startswith(".ecomctl/")


def test_generate_refuses_an_existing_folder_and_a_bad_name(
    templates_root: Path, ws: Workspace
) -> None:
    spec = ServiceSpec(port=8123, template="demo")
    generate_service(workspace=ws, name="shop", spec=spec)
    with pytest.raises(UsageError, match="already exists"):
        generate_service(workspace=ws, name="shop", spec=spec)
    with pytest.raises(UsageError, match="lower-case"):
        generate_service(workspace=ws, name="Bad_Name", spec=spec)
    with pytest.raises(UsageError, match="no template 'nope'"):
        generate_service(workspace=ws, name="other", spec=ServiceSpec(port=1, template="nope"))


def test_update_keeps_local_edits_and_brings_template_changes(
    templates_root: Path, ws: Workspace
) -> None:
    generated = generate_service(
        workspace=ws, name="shop", spec=ServiceSpec(port=8123, template="demo")
    )
    readme = generated.path / "README.md"
    readme.write_text(readme.read_text() + "\nOur team's notes.\n")  # left uncommitted
    template = templates_root / "demo" / "template" / "src" / "demo"
    (template / "handlers.py").write_text('def handle() -> str:\n    return "v2"\n')
    (template / "events.py").write_text("EVENTS: list[str] = []\n")

    [updated] = update_services(workspace=ws, names=["shop"])

    assert updated.conflicts == [] and updated.kept_local_edits
    assert updated.to_version != updated.from_version
    assert "Our team's notes." in readme.read_text()
    assert '"v2"' in (generated.path / "src" / "demo" / "handlers.py").read_text()
    assert (generated.path / "src" / "demo" / "events.py").is_file()
    assert scaffold_git.dirty_paths(ws.root, generated.path) == []


def test_update_with_an_unchanged_template_changes_nothing(
    templates_root: Path, ws: Workspace
) -> None:
    generate_service(workspace=ws, name="shop", spec=ServiceSpec(port=8123, template="demo"))
    [updated] = update_services(workspace=ws, names=[])
    assert updated.from_version == updated.to_version
    with pytest.raises(UsageError, match="no generated service nope"):
        update_services(workspace=ws, names=["nope"])


def test_update_refuses_uncommitted_edits_in_a_team_repository(
    templates_root: Path, ws: Workspace
) -> None:
    ws.root.mkdir(parents=True)
    scaffold_git.git(ws.root, "init", "--quiet")  # the team's own repository
    generated = generate_service(
        workspace=ws, name="shop", spec=ServiceSpec(port=8123, template="demo")
    )
    (generated.path / "README.md").write_text("edited\n")
    with pytest.raises(UserError, match="uncommitted changes"):
        update_services(workspace=ws, names=["shop"])


def test_init_writes_the_stack_and_add_service_appends_to_it(
    templates_root: Path, tmp_path: Path
) -> None:
    result = init_workspace(root=tmp_path / "team")
    assert result.stack_written and result.stack_file.name == "ecomctl.yaml"
    before = result.stack_file.read_text()
    ws = Workspace(root=result.workspace)
    added = add_service(workspace=ws, name="billing", kind="demo", port=8199)
    assert added.path.is_dir()
    stack = load_stack(result.stack_file)
    assert stack.services["billing"].port == 8199
    after = result.stack_file.read_text()
    assert after.startswith(before.split("services:")[0])  # comments and order kept
    with pytest.raises(UsageError, match="already in"):
        add_service(workspace=ws, name="billing", kind="demo")
    with pytest.raises(UsageError, match="port 8080"):
        add_service(workspace=ws, name="clash", kind="demo", port=8080)
    assert not (ws.root / "services" / "clash").exists()


def test_update_brings_migrations_shipped_since_and_keeps_the_ones_there(
    templates_root: Path, ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template without db/migration gets ecomctl's built-in migrations; an update adds
    the versions shipped since (a new kit may need their schema) and changes no file
    already there (applied migrations keep their checksums, team edits stay)."""
    shipped = tmp_path / "builtin"
    (shipped / "order").mkdir(parents=True)
    (shipped / "order" / "V1__create.sql").write_text("CREATE TABLE t (id INT);\n")
    monkeypatch.setattr("ecomctl.migrate.locations.builtin_root", lambda: shipped)
    generated = generate_service(
        workspace=ws, name="order", spec=ServiceSpec(port=8083, template="order")
    )
    folder = generated.path / "db" / "migration"
    assert sorted(p.name for p in folder.iterdir()) == ["V1__create.sql"]
    (folder / "V1__create.sql").write_text("CREATE TABLE t (id BIGINT);\n")  # the team's edit
    (shipped / "order" / "V1__create.sql").write_text("CREATE TABLE t (id SMALLINT);\n")
    (shipped / "order" / "V2__more.sql").write_text("ALTER TABLE t ADD COLUMN n INT;\n")

    [updated] = update_services(workspace=ws, names=["order"])

    assert updated.conflicts == []
    assert sorted(p.name for p in folder.iterdir()) == ["V1__create.sql", "V2__more.sql"]
    assert (folder / "V1__create.sql").read_text() == "CREATE TABLE t (id BIGINT);\n"
    assert scaffold_git.dirty_paths(ws.root, generated.path) == []
