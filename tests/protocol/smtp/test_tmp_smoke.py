from tests.protocol.smtp.transcript import codes
from tests.factories import make_message

async def test_smoke(world):
    t = await world.talk()
    print(t.greeting)
    print(await t.ehlo())
    r = await t.send("MAIL FROM:<x@remote.test>\r\nRCPT TO:<ann@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<x@other.test>\r\nDATA\r\n")
    print(r)
    r = await t.send(make_message() + b".\r\n")
    print(r)
    msgs = await world.inbox(world.ann)
    print(msgs[0][:600].decode())
