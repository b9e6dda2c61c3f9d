"""Record the git commit in the built package (``analysis/_build_info.json``).

Outside a git checkout (``pip install .`` copies the package into site-packages), the toolkit
cannot ask git which commit it runs; `analysis.io.git_commit` reads this file instead. Editable
installs do not get the file: they ask git in the checkout. The metadata itself is in pyproject.toml.
"""
import json
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
INFO = Path("analysis") / "_build_info.json"


def build_info() -> str:
    """Return the JSON text of the build record: the checkout's commit, or the sdist's record."""
    try:
        out = subprocess.run(["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True)
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip() != ""
        return json.dumps({"git_commit": out.stdout.strip(), "dirty": dirty}, sort_keys=True) + "\n"
    except (OSError, subprocess.SubprocessError):
        source = HERE / INFO       # building from an unpacked sdist: keep the record it carries
        return source.read_text() if source.is_file() else json.dumps({"git_commit": None}) + "\n"


class BuildPyWithCommit(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / INFO
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(build_info())


class SdistWithCommit(sdist):
    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        (Path(base_dir) / INFO).write_text(build_info())


setup(cmdclass={"build_py": BuildPyWithCommit, "sdist": SdistWithCommit})
