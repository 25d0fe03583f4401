"""The one policy protocol rollouts call, and adapters for numpy, ONNX and torch policies.

A policy is anything callable on a batch of observations, ``(n_envs, d_obs)`` float
array, that returns a batch of actions, ``(n_envs, n_act)``. Rollouts call it once per
control step for the whole batch. A policy with memory (an observation history, a
recurrent state) also has ``reset(n_envs)``, which a rollout calls before its first step.
Optional attributes describe it for the record: ``kind`` (``"numpy"``, ``"onnx"``,
``"torch"``, ``"linear-gaussian"``), ``source`` (a file name) and ``check(d_obs, n_act)``,
which raises when the widths do not fit.

Adapters: :class:`NumpyPolicy` (any callable), :class:`OnnxPolicy` (a ``.onnx`` file run by
onnxruntime), :class:`TorchPolicy` (a torch module, torch imported only then),
:class:`ObservationHistory` (stacks the last k observations for policies trained on a
history), :class:`ReplayActions` (logged commands, whatever is observed); :func:`as_policy`
picks one for an object or a path.

:class:`~acset_s2r.sim2real.policy.LinearGaussianPolicy` is a Policy too (its call is the
mean action); rollouts give it a fast batched path with its action noise.

Examples
--------
>>> import numpy as np
>>> pol = as_policy(lambda obs: -0.5 * obs[:, :1])
>>> pol(np.ones((3, 4))).shape
(3, 1)
>>> describe(pol)
('numpy', '')
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

import attrs
import numpy as np

from acset_s2r.errors import SimulationError


@runtime_checkable
class Policy(Protocol):
    """``policy(obs)`` maps (n_envs, d_obs) observations to (n_envs, n_act) actions."""

    def __call__(self, obs: np.ndarray) -> np.ndarray: ...


@attrs.define(eq=False)
class NumpyPolicy:
    """A plain callable as a Policy; ``reset`` is forwarded when the callable has one.

    ``obs_dim``/``act_dim``, when given, are checked against the task's widths.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 2.0]])
    >>> pol = NumpyPolicy(lambda o: o @ W.T, obs_dim=2, act_dim=1)
    >>> pol(np.array([[1.0, 1.0]]))
    array([[3.]])
    >>> pol.check(3, 1)
    Traceback (most recent call last):
    ...
    acset_s2r.errors.SimulationError: numpy policy <lambda>: expects observations of width 2 but the task gives 3
    """

    fn: Callable[[np.ndarray], np.ndarray]
    obs_dim: int | None = None
    act_dim: int | None = None
    source: str = ""
    kind: str = "numpy"

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(obs), dtype=float)

    def reset(self, n_envs: int) -> None:
        reset = getattr(self.fn, "reset", None)
        if callable(reset):
            reset(n_envs)

    def check(self, obs_dim: int, act_dim: int) -> None:
        name = self.source or getattr(self.fn, "__name__", type(self.fn).__name__)
        _check_widths(f"numpy policy {name}", self.obs_dim, self.act_dim, obs_dim, act_dim)


def _check_widths(what: str, want_obs, want_act, obs_dim: int, act_dim: int) -> None:
    if isinstance(want_obs, int) and want_obs != obs_dim:
        raise SimulationError(f"{what}: expects observations of width {want_obs} but the task gives {obs_dim}")
    if isinstance(want_act, int) and want_act != act_dim:
        raise SimulationError(f"{what}: returns actions of width {want_act} but the model has {act_dim} actuators")


class OnnxPolicy:
    """An ONNX file run by onnxruntime on the CPU: one float32 input (batch, d_obs), one output.

    onnxruntime is imported here only, so it stays an optional dependency. ``input_name``
    and ``output_name`` pick the tensors when the graph has several (default: the first).
    Observations are cast to float32, actions returned as float64.
    """

    kind = "onnx"

    def __init__(self, path: str | Path, input_name: str | None = None, output_name: str | None = None, threads: int = 1):
        self.path = Path(path)
        self.source = self.path.name
        try:
            import onnxruntime as ort
        except ImportError:
            raise SimulationError(
                f"ONNX policy {str(self.path)!r}: onnxruntime is not installed (pip install 'acset_s2r[onnx]')"
            ) from None
        if not self.path.is_file():
            raise SimulationError(f"ONNX policy file {str(self.path)!r} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own unexported exception types
            raise SimulationError(f"ONNX policy {str(self.path)!r} could not be loaded: {exc}") from None
        self.input = self._pick(self.session.get_inputs(), input_name, "input")
        self.output = self._pick(self.session.get_outputs(), output_name, "output")
        if self.input.type != "tensor(float)":
            raise SimulationError(f"ONNX policy {str(self.path)!r}: input {self.input.name!r} is {self.input.type}, expected tensor(float)")
        self.digest = hashlib.sha256(self.path.read_bytes()).hexdigest()

    def _pick(self, nodes, name: str | None, what: str):
        if name is None:
            return nodes[0]
        for node in nodes:
            if node.name == name:
                return node
        raise SimulationError(
            f"ONNX policy {str(self.path)!r} has no {what} named {name!r}; it has {', '.join(n.name for n in nodes)}"
        )

    @property
    def obs_dim(self) -> int | None:
        dim = self.input.shape[-1] if self.input.shape else None
        return dim if isinstance(dim, int) else None

    @property
    def act_dim(self) -> int | None:
        dim = self.output.shape[-1] if self.output.shape else None
        return dim if isinstance(dim, int) else None

    def check(self, obs_dim: int, act_dim: int) -> None:
        if len(self.input.shape) != 2:
            raise SimulationError(
                f"ONNX policy {str(self.path)!r}: input {self.input.name!r} has shape {self.input.shape}, "
                f"expected (batch, {obs_dim})"
            )
        _check_widths(f"ONNX policy {str(self.path)!r} (input {self.input.name!r})", self.obs_dim, self.act_dim, obs_dim, act_dim)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(obs, dtype=np.float32)
        return np.asarray(self.session.run([self.output.name], {self.input.name: x})[0], dtype=float)


class TorchPolicy:
    """A torch module as a Policy: evaluated under ``torch.no_grad`` on float32 CPU tensors.

    torch is imported when the adapter is made, never by the package itself; without torch
    installed this raises our error. A module with ``reset(n_envs)`` has it forwarded.
    """

    kind = "torch"

    def __init__(self, module: Any, source: str = ""):
        try:
            import torch
        except ImportError:
            raise SimulationError("TorchPolicy needs torch, which is not installed (it is never a dependency)") from None
        self.torch = torch
        self.module = module
        self.source = source or type(module).__name__
        if callable(getattr(module, "eval", None)):
            module.eval()  # dropout and batch-norm in inference mode, as a deployed policy runs

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            out = self.module(self.torch.as_tensor(np.asarray(obs, dtype=np.float32)))
        return out.detach().cpu().numpy().astype(float)

    def reset(self, n_envs: int) -> None:
        reset = getattr(self.module, "reset", None)
        if callable(reset):
            reset(n_envs)


class ObservationHistory:
    """A policy that sees the last ``length`` observations, oldest first, stacked into one row
    of width ``length · d_obs`` (zeros before the episode's first step), as policies trained
    with an observation history expect. ``reset(n_envs)`` clears the history.

    Examples
    --------
    >>> import numpy as np
    >>> pol = ObservationHistory(lambda x: x[:, :1], length=2)
    >>> pol.reset(1)
    >>> pol(np.array([[1.0, 2.0]])), pol(np.array([[3.0, 4.0]]))
    (array([[0.]]), array([[1.]]))
    """

    def __init__(self, policy: Any, length: int):
        if int(length) < 1:
            raise SimulationError(f"ObservationHistory.length must be >= 1, got {length}")
        self.policy = as_policy(policy)
        self.length = int(length)
        self.kind, self.source = describe(self.policy)
        self.buffer: np.ndarray | None = None

    def reset(self, n_envs: int) -> None:
        self.buffer = None
        reset = getattr(self.policy, "reset", None)
        if callable(reset):
            reset(n_envs)

    def check(self, obs_dim: int, act_dim: int) -> None:
        check_policy(self.policy, obs_dim * self.length, act_dim)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs, dtype=float)
        if self.buffer is None or self.buffer.shape[0] != obs.shape[0]:
            self.buffer = np.zeros((obs.shape[0], self.length, obs.shape[1]))
        self.buffer[:, :-1] = self.buffer[:, 1:]
        self.buffer[:, -1] = obs
        return self.policy(self.buffer.reshape(obs.shape[0], -1).copy())  # the buffer moves on; the caller keeps its row

    @property
    def digest(self) -> str:
        return policy_hash(self.policy)


def as_policy(obj: Any) -> Any:
    """The Policy for ``obj``: a path to a ``.onnx`` file, a torch module, a Policy, or a callable.

    Objects that already follow the protocol (a LinearGaussianPolicy, the adapters) pass
    through unchanged.
    """
    if isinstance(obj, (str, Path)):
        if str(obj).endswith(".onnx"):
            return OnnxPolicy(obj)
        raise SimulationError(f"policy file {str(obj)!r}: only .onnx files are read as policies")
    if hasattr(obj, "kind") and callable(obj):
        return obj
    if any(c.__module__.split(".")[0] == "torch" for c in type(obj).__mro__):
        return TorchPolicy(obj)
    if callable(obj):
        return NumpyPolicy(obj)
    raise SimulationError(f"a policy must be callable on (n_envs, d_obs) observations, got {type(obj).__name__}")


def describe(policy: Any) -> tuple[str, str]:
    """(kind, source) of a policy, for the record: e.g. ``("onnx", "policy.onnx")``.

    Examples
    --------
    >>> describe(NumpyPolicy(abs, source="mine.py"))
    ('numpy', 'mine.py')
    """
    return str(getattr(policy, "kind", "numpy")), str(getattr(policy, "source", ""))


def policy_hash(policy: Any) -> str:
    """A sha256 of what defines the policy: the file's bytes, or its parameter vector; '' if neither.

    Examples
    --------
    >>> from acset_s2r.sim2real.policy import LinearGaussianPolicy
    >>> pol = LinearGaussianPolicy([[1.0]], [0.0], [0.1], [0.0], [-1.0], [1.0])
    >>> len(policy_hash(pol)), policy_hash(abs)
    (64, '')
    """
    digest = getattr(policy, "digest", None)
    if digest:
        return str(digest)
    to_vector = getattr(policy, "to_vector", None)
    if callable(to_vector):
        return hashlib.sha256(np.ascontiguousarray(to_vector(), dtype=float).tobytes()).hexdigest()
    return ""


def check_policy(policy: Any, obs_dim: int, act_dim: int) -> None:
    """Run the policy's own width check, if it has one.

    Examples
    --------
    >>> check_policy(NumpyPolicy(abs, obs_dim=4), 4, 1)
    >>> check_policy(abs, 4, 1)  # nothing to check
    """
    check = getattr(policy, "check", None)
    if callable(check):
        check(obs_dim, act_dim)


class ReplayActions:
    """A batch policy that replays logged commands: env i gets row i of ``actions`` (N, T, nu)
    at its t-th call, whatever it observes."""

    kind = "replay"
    source = ""

    def __init__(self, actions: np.ndarray):
        self.actions = np.asarray(actions, float)
        self.t = 0

    def reset(self, n_envs: int) -> None:
        if n_envs != len(self.actions):
            raise SimulationError(f"replay of {len(self.actions)} episodes asked for {n_envs} envs")
        self.t = 0

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        a = self.actions[:, min(self.t, self.actions.shape[1] - 1)]
        self.t += 1
        return a
