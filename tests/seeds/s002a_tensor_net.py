# Seed 002, "Tensor" section: two-layer network, forward and backward written by hand with tensor ops.
import tensorgraft as torch

dtype=torch.float # データの型はfloat
device=torch.device("cpu") # CPUで実行
# device=torch.device("cuda:0") # GPUで実行

# Nはバッチサイズ、D_inは入力の次元
# Hは隠れ層の次元、D_outは出力の次元
N,D_in,H,D_out=64,1000,100,10

# ランダムな入力と出力のデータを生成する
x=torch.randn(N,D_in,device=device,dtype=dtype)
y=torch.randn(N,D_out,device=device,dtype=dtype)

# 重みをランダムに初期化
w1=torch.randn(D_in,H,device=device,dtype=dtype)
w2=torch.randn(H,D_out,device=device,dtype=dtype)

learning_rate=1e-6 # 学習率

for t in range(500): # 500エポック回す
    # forward: yの予測値を計算
    h=x.mm(w1) # h=w1*x
    h_relu=h.clamp(min=0) # h_relu=relu(h)
    y_pred=h_relu.mm(w2) # y_pred=w2*h_relu

    # ロスを計算して表示
    loss=(y_pred-y).pow(2).sum().item() # SE

    if t%100==99: # 100エポックごとに表示
        print(t,loss)

    # w1とw2の勾配を計算して逆伝搬
    grad_y_pred=2.0*(y_pred-y)
    grad_w2=h_relu.t().mm(grad_y_pred)
    grad_h_relu=grad_y_pred.mm(w2.t())
    grad_h=grad_h_relu.clone()
    grad_h[h<0]=0
    grad_w1=x.t().mm(grad_h)

    # 勾配降下法で重みを更新
    w1-=learning_rate*grad_w1
    w2-=learning_rate*grad_w2
