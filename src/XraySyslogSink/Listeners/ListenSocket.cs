using System.Net;
using System.Net.Sockets;

namespace XraySyslogSink.Listeners;

/// <summary>Creates bound stream sockets for the TCP-based listeners.</summary>
internal static class ListenSocket
{
    /// <summary>
    /// A listening socket on <paramref name="endPoint"/> (dual-mode for <c>[::]</c>). SO_REUSEADDR alone is set, so a
    /// restarted daemon can bind while old connections sit in TIME_WAIT; .NET's ReuseAddress option would also set
    /// SO_REUSEPORT on Linux and let a second daemon silently share the port, splitting the senders between them.
    /// </summary>
    public static Socket Bind(IPEndPoint endPoint, int backlog)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = true;
            }

            if (OperatingSystem.IsLinux())
            {
                const int SolSocket = 1;
                const int SoReuseAddr = 2;
                socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
