"""What the client and the server share, below both of them (docs/DESIGN.md, Layers).

- :mod:`.wire`: the payload format of results, tables and errors on HTTP;
- :mod:`.transport`: the operations a client needs from a product (:class:`Transport`)
  and the in-process one (:class:`LocalTransport`), which the server also serves from;
- :mod:`.errors`: the HTTP layer's errors, raised by the server and re-raised, as the very
  same classes, by the remote client.

Nothing here imports a web framework or the client and server packages.
"""
