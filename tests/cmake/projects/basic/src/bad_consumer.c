int demo_internal_helper(void);
int main(void) { return demo_internal_helper() == 42 ? 0 : 1; }
