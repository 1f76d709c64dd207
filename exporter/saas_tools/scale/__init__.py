"""Tools for the scale bench and the shard test: a fast fake vendor that counts requests
per account (``fast_vendor``), the bare asyncio client a probe's cost is compared with
(``bare_client``)."""
