using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace XraySyslogSink.IntegrationTests.Spool;

/// <summary>Access lines told apart by their source port (1…N), sent over plain TCP.</summary>
internal static class TestLines
{
    public static byte[] Build(int firstPort, int count, string source = "10.0.0.1", int users = 50)
    {
        var text = new StringBuilder(count * 110);
        for (int port = firstPort; port < firstPort + count; port++)
        {
            text.Append(CultureInfo.InvariantCulture, $"2025/11/17 10:{port / 60 % 60:00}:{port % 60:00}.000000 from {source}:{port} accepted tcp:host{port % users}.example:443 [in >> out] email: user{port % users}@example.com\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static async Task SendAsync(IPEndPoint endPoint, byte[] payload)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(endPoint);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(payload);
        client.Client.Shutdown(SocketShutdown.Send);

        // Wait for the daemon to close its side, so every byte has been read.
        byte[] sink = new byte[16];
        while (await stream.ReadAsync(sink) > 0)
        {
        }
    }
}
