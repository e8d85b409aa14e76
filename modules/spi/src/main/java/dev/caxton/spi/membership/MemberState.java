package dev.caxton.spi.membership;

/** How the membership judges a node. */
public enum MemberState {
    /** Answering. */
    ALIVE,
    /** Not answering lately; may still be alive. */
    SUSPECT,
    /** Judged failed. */
    DEAD,
    /** Left gracefully. */
    LEFT
}
