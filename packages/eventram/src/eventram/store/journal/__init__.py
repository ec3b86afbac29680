"""The journal: append-only segment files of CRC-checked frames, one per committed store call.

``frame`` encodes batches, ``segment`` names and heads the files, ``writer`` appends under an
fsync policy with group commit, ``reader`` walks and checks them, ``recovery`` replays them into
a store, ``lock`` keeps a single writer per directory, and ``ops`` backs the operations CLI.
Open a journaled store with ``eventram.store.durable.open_store``.
"""
