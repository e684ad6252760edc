namespace XraySyslogSink.Pipeline;

/// <summary>The reasons a line was recovered from a known damaged shape (the label of <c>xraysink.lines.recovered</c>).</summary>
internal static class RecoveredReasons
{
    /// <summary>A relay parsed the xray line as syslog and sent its date as APP-NAME (syslog-ng without <c>flags(no-parse)</c>).</summary>
    public const string XrayDateAsAppName = "xray_date_as_app_name";
}
