"""Tell front ends which products this kernel has connected, without them running code here.

A front end (the Data Products panel's "Current notebook" section) opens a comm to the
target ``jupyter_dataproduct.session``, which ``%load_ext jupyter_dataproduct`` registers.
The kernel answers at once with its state and sends it again after every cell that changed
it (a ``connect``, a ``snapshot use``, a ``.use()`` in Python, a new session):

    {"products": [{"name": "actg175", "location": "/data/actg175", "pinned": "1668f4…" | null,
                   "default": true}]}

``pinned`` is the full snapshot id the product is pinned to (``null``: runs use the latest).
No token is ever sent (locations of servers are URLs without credentials). A kernel without
the magics loaded has no such target: the front end's comm is closed at once, which is how
it learns that nothing is connected.
"""

from __future__ import annotations

from typing import Any, Callable

TARGET = "jupyter_dataproduct.session"


class SessionComm:
    """Sends a kernel's connected products to every front end that opened the comm."""

    def __init__(self, ipython: Any, session: Callable[[], Any]) -> None:
        self.ipython = ipython
        self.session = session  # () -> the magics' current Session (tests replace it)
        self.comms: list[Any] = []
        self._sent: dict[str, Any] | None = None

    def install(self) -> bool:
        """Register the comm target; False (and nothing done) outside a Jupyter kernel."""
        if getattr(self.ipython, "kernel", None) is None:
            return False
        from comm import get_comm_manager

        get_comm_manager().register_target(TARGET, self.opened)
        self.ipython.events.register("post_run_cell", self.after_cell)
        return True

    def state(self) -> dict[str, Any]:
        session = self.session()
        return {"products": [
            {"name": name, "location": product.location, "pinned": product.pinned or None,
             "default": name == session.default}
            for name, product in session.products.items()
        ]}

    def opened(self, comm: Any, _msg: Any) -> None:
        """A front end opened a comm: answer with the state, and again on request."""
        self.comms.append(comm)
        comm.on_msg(lambda _message: comm.send(self.state()))
        comm.on_close(lambda _message: self.comms.remove(comm) if comm in self.comms else None)
        state = self.state()
        self._sent = state
        comm.send(state)

    def after_cell(self, *_: Any) -> None:
        """After each cell: tell the front ends if the products or their pins changed."""
        if not self.comms:
            return
        state = self.state()
        if state == self._sent:
            return
        self._sent = state
        for comm in list(self.comms):
            comm.send(state)
