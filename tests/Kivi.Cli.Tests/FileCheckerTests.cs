using System.Text;
using Kivi.Protocol;

namespace Kivi.Cli.Tests;

/// <summary>The import's parallel check of a file: what a line-by-line check finds, in the same order, across block boundaries.</summary>
public sealed class FileCheckerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kivi-filecheck-").FullName;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Lines_across_many_blocks_are_numbered_and_reported_as_a_line_by_line_check_reports_them()
    {
        // About 6 MiB: several of the checker's 1 MiB blocks. Bad lines near the start, inside, and at the very end
        // (without a newline); blank and CRLF lines between; a line longer than a block in the middle.
        const long now = 1_800_000_000;
        var text = new StringBuilder();
        var expectedBad = new List<long>();
        long expiring = 0, valid = 0, number = 0;
        void Line(string line, bool bad = false, bool expires = false)
        {
            text.Append(line).Append(number % 7 == 0 ? "\r\n" : "\n");
            number++;
            if (bad) expectedBad.Add(number);
            else if (expires) expiring++;
            else if (!string.IsNullOrWhiteSpace(line)) valid++;
        }
        for (int i = 0; i < 60_000; i++)
        {
            if (i is 3 or 29_999 or 45_001) Line("{\"key\":\"\",\"value\":\"x\"}", bad: true);
            else if (i == 20_000) Line("   ");
            else if (i == 30_000) Line($"{{\"key\":\"long\",\"value\":\"{new string('v', 3 << 20)}\"}}");
            else if (i == 40_000) Line($"{{\"key\":\"soon\",\"value\":\"x\",\"expiration\":{now + 10}}}", expires: true);
            else Line($"{{\"key\":\"key-{i:D6}\",\"value\":\"{new string('v', 80)}\"}}");
        }
        text.Append("{\"key\":\"last\",\"value\":\"x\",\"extra\":1}"); // the last line, no newline, a field no item has
        expectedBad.Add(++number);
        string path = Path.Combine(_dir, "lines.ndjson");
        await File.WriteAllTextAsync(path, text.ToString(), Ct);

        var validator = new ItemValidator(new KvLimits(), now, skipExpiring: true);
        var found = await FileChecker.CheckAsync(path, validator, resumeAfter: 0, Ct);

        Assert.Equal(expectedBad, found.Problems.Select(p => p.Number));
        Assert.Equal(valid, found.Valid);
        Assert.Equal(expiring, found.Expiring);
        Assert.Equal(expectedBad.Count + expiring, found.Skip.Count);
        Assert.Contains(found.Problems, p => p.Key == "last");

        // What the write pass reads line by line carries the same numbers.
        var sequential = new List<long>();
        await foreach (var (n, line) in Lines.ReadAsync(path, Ct))
            if (!Lines.IsBlank(line.Span) && !validator.Check(line).Ok && !validator.Check(line).Skip) sequential.Add(n);
        Assert.Equal(expectedBad, sequential);

        // Resuming counts only what comes after, and still reports every problem.
        var resumed = await FileChecker.CheckAsync(path, validator, resumeAfter: 30_000, Ct);
        Assert.Equal(expectedBad, resumed.Problems.Select(p => p.Number));
        Assert.True(resumed.Valid < found.Valid);
    }
}
