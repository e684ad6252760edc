namespace XraySyslogSink.Tests.Listeners;

/// <summary>Polls a condition every 20 ms until it holds or the patience runs out (listener tests wait on sockets and threads).</summary>
internal static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan patience)
    {
        DateTime deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}
