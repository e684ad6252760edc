using System.Buffers;
using System.Buffers.Text;

namespace XraySyslogSink.Listeners.Relp;

/// <summary>Writes the frames this server sends: <c>rsp</c> answers and the <c>serverclose</c> hint.</summary>
internal static class RelpResponseWriter
{
    /// <summary>The acknowledgement of a <c>syslog</c> command.</summary>
    public static ReadOnlySpan<byte> Ok => "200 OK"u8;

    /// <summary>
    /// The hint librelp's server sends before it drops a session (txnr 0, no answer expected), so an idle client
    /// notices at once instead of on its next send.
    /// </summary>
    public static ReadOnlySpan<byte> ServerClose => "0 serverclose 0\n"u8;

    /// <summary>Writes <c>TXNR rsp DATALEN [SP DATA] LF</c>.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, int transactionNumber, ReadOnlySpan<byte> data)
    {
        // 9 digits, " rsp ", 9 digits, SP, data, LF.
        Span<byte> span = output.GetSpan(9 + 5 + 9 + 1 + data.Length + 1);
        Utf8Formatter.TryFormat(transactionNumber, span, out int written);
        " rsp "u8.CopyTo(span[written..]);
        written += 5;
        Utf8Formatter.TryFormat(data.Length, span[written..], out int lengthDigits);
        written += lengthDigits;
        if (!data.IsEmpty)
        {
            span[written++] = (byte)' ';
            data.CopyTo(span[written..]);
            written += data.Length;
        }

        span[written++] = (byte)'\n';
        output.Advance(written);
    }

    public static void WriteServerClose(IBufferWriter<byte> output) => output.Write(ServerClose);
}
