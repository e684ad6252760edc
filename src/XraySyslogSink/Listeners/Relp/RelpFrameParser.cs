using System.Buffers;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>What <see cref="RelpFrameParser.TryReadFrame"/> found at the start of the buffer.</summary>
internal enum RelpFrameStatus
{
    /// <summary>A whole frame was read and consumed.</summary>
    Complete,

    /// <summary>The frame so far is well formed but not all there yet; nothing was consumed.</summary>
    NeedMoreData,

    /// <summary>The bytes cannot be a RELP frame; the session must be closed (RELP has no resynchronisation).</summary>
    Malformed,
}

/// <summary>Why a frame was malformed; the <c>reason</c> tag of <c>xraysink.relp.frames.rejected</c>.</summary>
internal enum RelpFrameError
{
    None,
    BadTransactionNumber,
    BadCommand,
    BadDataLength,
    TooLarge,
    MissingTrailer,
}

/// <summary>The commands this server knows; anything else is <see cref="Other"/>.</summary>
internal enum RelpCommand
{
    Other,
    Open,
    Syslog,
    Close,
    Response,
}

/// <summary>One parsed frame. <see cref="Data"/> points into the reader's buffer and is valid until it advances.</summary>
internal readonly struct RelpFrame(int transactionNumber, RelpCommand command, ReadOnlySequence<byte> data)
{
    public int TransactionNumber { get; } = transactionNumber;

    public RelpCommand Command { get; } = command;

    public ReadOnlySequence<byte> Data { get; } = data;
}

/// <summary>
/// Reads RELP frames, <c>TXNR SP COMMAND SP DATALEN [SP DATA] LF</c> (librelp's doc/relp.md): TXNR and DATALEN are
/// 1 to 9 digits, COMMAND 1 to 32 letters, and with DATALEN 0 the LF follows the length directly. Stateless: call it
/// with the unconsumed buffer after every read. A malformed header is reported as soon as the bad byte arrives,
/// so a peer speaking something else is dropped without waiting for more input.
/// </summary>
internal static class RelpFrameParser
{
    /// <summary>The protocol's ceiling for TXNR and DATALEN (nine digits).</summary>
    public const int MaxNumber = 999_999_999;

    private const int MaxDigits = 9;
    private const int MaxCommandLength = 32;

    public static RelpFrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxDataLength, out RelpFrame frame, out RelpFrameError error)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);

        RelpFrameStatus status = ReadNumber(ref reader, RelpFrameError.BadTransactionNumber, out int transactionNumber, out byte terminator, out error);
        if (status != RelpFrameStatus.Complete)
        {
            return status;
        }

        if (terminator != (byte)' ')
        {
            error = RelpFrameError.BadTransactionNumber;
            return RelpFrameStatus.Malformed;
        }

        status = ReadCommand(ref reader, out RelpCommand command, out error);
        if (status != RelpFrameStatus.Complete)
        {
            return status;
        }

        status = ReadNumber(ref reader, RelpFrameError.BadDataLength, out int dataLength, out terminator, out error);
        if (status != RelpFrameStatus.Complete)
        {
            return status;
        }

        ReadOnlySequence<byte> data = ReadOnlySequence<byte>.Empty;
        if (dataLength == 0)
        {
            // librelp writes no SP and no data for an empty frame: the length is followed by the trailer.
            if (terminator != (byte)'\n')
            {
                error = RelpFrameError.MissingTrailer;
                return RelpFrameStatus.Malformed;
            }
        }
        else
        {
            if (terminator != (byte)' ')
            {
                error = RelpFrameError.BadDataLength;
                return RelpFrameStatus.Malformed;
            }

            if (dataLength > maxDataLength)
            {
                error = RelpFrameError.TooLarge;
                return RelpFrameStatus.Malformed;
            }

            if (reader.Remaining < dataLength + 1L)
            {
                return RelpFrameStatus.NeedMoreData;
            }

            data = reader.UnreadSequence.Slice(0, dataLength);
            reader.Advance(dataLength);
            reader.TryRead(out byte trailer);
            if (trailer != (byte)'\n')
            {
                error = RelpFrameError.MissingTrailer;
                return RelpFrameStatus.Malformed;
            }
        }

        frame = new RelpFrame(transactionNumber, command, data);
        buffer = buffer.Slice(reader.Position);
        return RelpFrameStatus.Complete;
    }

    /// <summary>The transaction number after <paramref name="transactionNumber"/>: the spec latches at 999,999,999 and continues with 1.</summary>
    public static int NextTransactionNumber(int transactionNumber) => transactionNumber >= MaxNumber ? 1 : transactionNumber + 1;

    /// <summary>Reads 1 to 9 digits and the byte that ends them.</summary>
    private static RelpFrameStatus ReadNumber(ref SequenceReader<byte> reader, RelpFrameError kind, out int value, out byte terminator, out RelpFrameError error)
    {
        value = 0;
        terminator = 0;
        error = RelpFrameError.None;
        int digits = 0;
        while (reader.TryRead(out byte next))
        {
            if (next is >= (byte)'0' and <= (byte)'9')
            {
                if (++digits > MaxDigits)
                {
                    error = kind;
                    return RelpFrameStatus.Malformed;
                }

                value = (value * 10) + (next - '0');
                continue;
            }

            if (digits == 0)
            {
                error = kind;
                return RelpFrameStatus.Malformed;
            }

            terminator = next;
            return RelpFrameStatus.Complete;
        }

        return RelpFrameStatus.NeedMoreData;
    }

    /// <summary>Reads 1 to 32 letters and the SP after them.</summary>
    private static RelpFrameStatus ReadCommand(ref SequenceReader<byte> reader, out RelpCommand command, out RelpFrameError error)
    {
        command = RelpCommand.Other;
        error = RelpFrameError.None;
        Span<byte> name = stackalloc byte[MaxCommandLength];
        int length = 0;
        while (reader.TryRead(out byte next))
        {
            if (next is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z'))
            {
                if (length == MaxCommandLength)
                {
                    error = RelpFrameError.BadCommand;
                    return RelpFrameStatus.Malformed;
                }

                name[length++] = next;
                continue;
            }

            if (next != (byte)' ' || length == 0)
            {
                error = RelpFrameError.BadCommand;
                return RelpFrameStatus.Malformed;
            }

            command = Identify(name[..length]);
            return RelpFrameStatus.Complete;
        }

        return RelpFrameStatus.NeedMoreData;
    }

    private static RelpCommand Identify(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("syslog"u8) ? RelpCommand.Syslog
        : name.SequenceEqual("open"u8) ? RelpCommand.Open
        : name.SequenceEqual("close"u8) ? RelpCommand.Close
        : name.SequenceEqual("rsp"u8) ? RelpCommand.Response
        : RelpCommand.Other;

    public static string ReasonName(this RelpFrameError error) => error switch
    {
        RelpFrameError.BadTransactionNumber => "bad_txnr",
        RelpFrameError.BadCommand => "bad_command",
        RelpFrameError.BadDataLength => "bad_datalen",
        RelpFrameError.TooLarge => "too_large",
        RelpFrameError.MissingTrailer => "missing_trailer",
        _ => "none",
    };
}
