"""The mail transaction: MAIL, RCPT, DATA and BDAT, and the end of the message.

Without AUTH (MX mode) a transaction is an `InboundTransaction`: recipients are
answered one by one (RFC 5321 3.3), the body streams into its spool, and the final dot
commits it. After AUTH it is a submission: the sender must be the account's own
(`553 5.7.1`), the body is spooled and handed to `Submitter.submit` whole.

Relay tricks are refused at RCPT whatever the mode: source routes, `%` and `!`, quoted
local parts, address literals and trailing dots (`Path.features`). A non-hosted domain
is refused on the MX (`550 5.7.1`), an unknown hosted address everywhere (`550 5.1.1`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from postroom import errors
from postroom.delivery.errors import SenderNotOwned
from postroom.delivery.ids import new_queue_id
from postroom.delivery.inbound import Envelope, Spool
from postroom.protocols.smtp import replies
from postroom.protocols.smtp.commands import Bdat, BodyType, Data, Mail, Rcpt
from postroom.protocols.smtp.context import Input, Mode, Transaction
from postroom.protocols.smtp.data import EndOfChunk, EndOfData, Rejection
from postroom.protocols.smtp.errors import reply_for
from postroom.protocols.smtp.states import Step

if TYPE_CHECKING:
    from postroom.protocols.smtp.session import Session


def protocol_name(session: Session, smtputf8: bool) -> str:
    """RFC 3848 / RFC 6531 7.5 names for the Received field's WITH clause."""
    base = "UTF8SMTP" if smtputf8 else ("ESMTP" if session.esmtp else "SMTP")
    return base + ("S" if session.tls else "") + ("A" if session.account else "")


async def handle_mail(session: Session, command: Mail) -> None:
    """GREETED: RFC 5321 4.1.1.2."""
    env, params = session.env, command.params
    if session.account is None and env.mode is Mode.SUBMISSION:
        session.fail(replies.AUTH_REQUIRED)  # RFC 6409 4.3
        return
    if params.size is not None and params.size > env.max_message_size:
        session.reply(replies.MESSAGE_TOO_BIG)  # RFC 1870 6.1
        return
    if params.body is BodyType.BINARY_MIME:
        session.fail(replies.BODY_NOT_SUPPORTED)  # not offered (RFC 3030 3)
        return
    queue_id = new_queue_id()
    mail_from = command.path.address if not command.path.is_null else ""
    if session.account is not None:
        if not mail_from:
            raise SenderNotOwned()
        await env.submitter.check_not_held(session.account)
        await env.submitter.check_sender(session.account, mail_from)
        txn = Transaction(command, queue_id, spool=Spool(str(env.inbound.mail.blobs.tmp_dir)))
    else:
        envelope = Envelope(session.peer_ip, session.helo or "", mail_from, queue_id,
                            protocol_name(session, params.smtputf8))
        txn = Transaction(command, queue_id, inbound=env.inbound.start(envelope))
    session.txn = txn
    session.step(Step.SENDER_ACCEPTED)
    session.reply(replies.SENDER_OK)


async def handle_rcpt(session: Session, command: Rcpt) -> None:
    """MAIL, RCPT: RFC 5321 4.1.1.3, one answer per recipient."""
    txn = session.txn
    assert txn is not None
    path, env = command.path, session.env
    features = sorted(path.features())
    if features:
        txn.refused += 1
        session.fail(replies.for_path_feature(features[0]))
        return
    if path.is_utf8 and not txn.mail.params.smtputf8:
        session.fail(replies.NON_ASCII_ADDRESS)  # RFC 6531 3.5
        return
    limit = env.submission_max_recipients if session.account else env.mx_max_recipients
    if len(txn.recipients) >= limit:
        session.reply(replies.TOO_MANY_RECIPIENTS)  # RFC 5321 4.5.3.1.10
        return
    # RFC 5321 4.5.1: <postmaster> without a domain is the postmaster of this host.
    host_postmaster = f"postmaster@{env.hostname}"
    address = host_postmaster if path.is_postmaster else path.address
    if env.postmaster and address.lower() == host_postmaster.lower():
        address = env.postmaster
    try:
        if txn.inbound is not None:
            await txn.inbound.add_recipient(address, txn.mail.params.size or 0)
        else:
            await env.submitter.check_recipient(address)
    except errors.PostroomError:
        txn.refused += 1
        session.errors += 1
        raise
    txn.recipients.append(address)
    if command.params.notify is not None:
        txn.notify[address] = ",".join(sorted(n.value for n in command.params.notify))
    session.step(Step.RECIPIENT_ACCEPTED)
    session.reply(replies.RECIPIENT_OK)


async def handle_data(session: Session, command: Data) -> None:
    """RCPT: RFC 5321 4.1.1.4; the body follows until <CRLF>.<CRLF>."""
    session.step(Step.DATA_STARTED)
    session.input = Input.DATA
    session.reply(replies.START_DATA)


async def handle_bdat(session: Session, command: Bdat) -> None:
    """RCPT, BDAT: RFC 3030 2; exactly `size` octets follow the command line."""
    session.step(Step.CHUNK_STARTED)
    session.input = Input.CHUNK
    session.chunk_size, session.chunk_last = command.size, command.last


async def finish_data(session: Session, end: EndOfData) -> None:
    """The final dot was read (accepted or not): reply for the whole message."""
    txn = _take(session)
    await _finish(session, txn, end.rejection)


async def finish_chunk(session: Session, end: EndOfChunk) -> None:
    """A BDAT chunk was read: 250 for a middle chunk, the message's reply after LAST."""
    if not end.last:
        session.step(Step.CHUNK_DONE)
        if end.rejection is not None:
            session.reply(replies.for_data_rejection(end.rejection))
        else:
            session.reply(replies.chunk_ok(end.size))
        return
    txn = _take(session)
    await _finish(session, txn, end.rejection)


def _take(session: Session) -> Transaction:
    txn = session.txn
    assert txn is not None
    session.txn = None
    session.step(Step.MESSAGE_DONE)
    return txn


async def _finish(session: Session, txn: Transaction, rejection: Rejection | None) -> None:
    if rejection is not None:
        txn.abort()
        _log_refused(session, txn, replies.for_data_rejection(rejection))
        session.reply(replies.for_data_rejection(rejection))
        return
    try:
        await _commit(session, txn)
    except errors.PostroomError as exc:
        txn.abort()
        _log_refused(session, txn, reply_for(exc))
        raise
    session.reply(replies.queued_as(txn.queue_id))


async def _commit(session: Session, txn: Transaction) -> None:
    if txn.inbound is not None:
        await txn.inbound.commit()
        return
    assert txn.spool is not None and session.account is not None
    data = txn.spool.read_all()
    txn.spool.close()
    params = txn.mail.params
    # SMTP clients keep their own Sent copy over IMAP: no server-side copy here.
    await session.env.submitter.submit(
        session.account, txn.mail.path.address, txn.recipients, data, save_sent=False,
        queue_id=txn.queue_id, envid=params.envid,
        ret=params.ret.value if params.ret else None, notify=txn.notify)


def _log_refused(session: Session, txn: Transaction, reply: replies.Reply) -> None:
    session.env.log.record(
        "smtp-refused", txn.queue_id, peer=session.peer_ip, helo=session.helo,
        account=session.account.address if session.account else None,
        mail_from=txn.mail.path.address, recipients=txn.recipients, code=reply.code,
        status=reply.enhanced)
