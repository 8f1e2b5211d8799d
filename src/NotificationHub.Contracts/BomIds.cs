namespace NotificationHub.Contracts;

/// <summary>
/// Rules for BOM ids. An id becomes part of Redis keys, channel names and SSE payloads, so it is
/// restricted to characters that are inert in all of them (no glob wildcards, no CR/LF, no spaces).
/// </summary>
public static class BomIds
{
    /// <summary>Longest accepted id.</summary>
    public const int MaxLength = 128;

    /// <summary>Human-readable rule, used in error messages.</summary>
    public const string Rule = "1 to 128 characters from [A-Za-z0-9._:-]";

    /// <summary>True when <paramref name="bomId"/> is a well-formed BOM id.</summary>
    public static bool IsValid(string? bomId)
    {
        if (string.IsNullOrEmpty(bomId) || bomId.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in bomId)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
