namespace Kivi.Core.Storage;

/// <summary>
/// The key range of one list page as index bounds, so that engines read only the page's own rows:
/// <see cref="Lower"/> is the prefix, or the cursor's key when that lies past it (then exclusive), and
/// <see cref="Upper"/> is the first byte string after every key with the prefix (null when there is none).
/// </summary>
public readonly record struct KeyRange(byte[] Lower, bool LowerExclusive, byte[]? Upper)
{
    public static KeyRange ForList(byte[] prefix, byte[]? startAfter)
    {
        bool after = startAfter is not null && startAfter.AsSpan().SequenceCompareTo(prefix) >= 0;
        return new KeyRange(after ? startAfter! : prefix, after, PrefixUpperBound(prefix));
    }

    /// <summary>The smallest byte string greater than every string that starts with <paramref name="prefix"/>, or null.</summary>
    public static byte[]? PrefixUpperBound(byte[] prefix)
    {
        int end = prefix.Length;
        while (end > 0 && prefix[end - 1] == 0xFF) end--;
        if (end == 0) return null;
        var upper = prefix[..end];
        upper[end - 1]++;
        return upper;
    }
}
