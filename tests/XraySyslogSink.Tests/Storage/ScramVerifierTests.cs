using XraySyslogSink.Cli;
using XraySyslogSink.Storage;

namespace XraySyslogSink.Tests.Storage;

public sealed class ScramVerifierTests
{
    [Fact]
    public void The_verifier_matches_an_independent_computation_of_RFC_5803_form()
    {
        // Computed with Python's hashlib.pbkdf2_hmac / hmac for the password "pencil", salt bytes 0..15, 4096 iterations.
        byte[] salt = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(
            "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=",
            ScramVerifier.Create("pencil", salt, 4096));
    }

    [Fact]
    public void Each_verifier_has_its_own_salt()
    {
        Assert.NotEqual(ScramVerifier.Create("pencil"), ScramVerifier.Create("pencil"));
        Assert.StartsWith("SCRAM-SHA-256$4096:", ScramVerifier.Create("pencil"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_statement_sent_to_the_server_holds_the_verifier_and_never_the_password()
    {
        const string Password = "correct-horse-battery-staple";
        string statement = ScramVerifier.AlterRoleStatement("xraysink_writer", ScramVerifier.Create(Password));
        Assert.StartsWith("ALTER ROLE \"xraysink_writer\" PASSWORD 'SCRAM-SHA-256$4096:", statement, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, statement, StringComparison.Ordinal);
    }

    [Fact]
    public void A_role_name_with_quotes_stays_one_identifier()
    {
        Assert.Equal("ALTER ROLE \"a\"\"; DROP TABLE logs; --\" PASSWORD 'v'", ScramVerifier.AlterRoleStatement("a\"; DROP TABLE logs; --", "v"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pässword")]
    [InlineData("tab\there")]
    public void Passwords_SASLprep_would_change_are_refused(string password)
    {
        Assert.False(ScramVerifier.IsSupported(password));
        Assert.Throws<ArgumentException>(() => ScramVerifier.Create(password));
    }

    [Theory]
    [InlineData("s3cret\n", "s3cret")]
    [InlineData("s3cret\r\nsecond line ignored", "s3cret")]
    [InlineData("no newline", "no newline")]
    public void The_first_line_of_the_file_is_the_password(string file, string password)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(file));
        Assert.Equal(password, SetPasswordCommand.ReadPassword(stream));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("pässword\n")]
    public void An_empty_or_non_ASCII_first_line_is_a_usage_error(string file)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(file));
        Assert.Throws<CliUsageException>(() => SetPasswordCommand.ReadPassword(stream));
    }

    [Fact]
    public void A_file_longer_than_a_password_file_is_refused()
    {
        using var stream = new MemoryStream(new byte[5000]);
        Assert.Throws<CliUsageException>(() => SetPasswordCommand.ReadPassword(stream));
    }
}
