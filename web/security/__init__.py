"""Who is signed in, what they may do, and the protections every request passes."""
